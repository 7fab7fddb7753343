namespace Corral.HostAgent.Egress;

/// <summary>The host cannot meter egress (no iptables, or not allowed to use it).</summary>
public sealed class EgressUnavailableException(string message) : Exception(message);

public static class EgressCheck
{
    /// <summary>
    /// Fails fast when iptables or ip6tables cannot list the filter table: an agent that cannot meter and cap its
    /// jobs' traffic must not register, rather than run them unmetered.
    /// </summary>
    public static async Task EnsureAvailableAsync(IIptables iptables, CancellationToken cancellationToken)
    {
        foreach (var family in IpFamilies.All)
        {
            try
            {
                await iptables.RunAsync(family, ["-n", "-L", "FORWARD"], cancellationToken);
            }
            catch (IptablesException error)
            {
                throw new EgressUnavailableException(
                    $"egress metering needs iptables and ip6tables (run as root, with the filter table available): {error.Message}");
            }
        }
    }
}
