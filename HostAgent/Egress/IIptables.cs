namespace Corral.HostAgent.Egress;

/// <summary>The host's packet filter, reduced to the two things the egress meter does with it.</summary>
public interface IIptables
{
    /// <summary>Runs <c>iptables</c> or <c>ip6tables</c> (always with <c>-w</c>) and returns its output.</summary>
    /// <exception cref="IptablesException">The command could not run or failed.</exception>
    Task<string> RunAsync(IpFamily family, IReadOnlyList<string> arguments, CancellationToken cancellationToken);

    /// <summary>Applies rules atomically with <c>iptables-restore -w --noflush</c> (the filter table only).</summary>
    /// <exception cref="IptablesException">The command could not run or failed; then nothing was applied.</exception>
    Task RestoreAsync(IpFamily family, string rules, CancellationToken cancellationToken);
}
