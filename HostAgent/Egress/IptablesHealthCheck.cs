using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Corral.HostAgent.Egress;

/// <summary>Ready only while iptables and ip6tables list the filter table: egress metering and caps depend on them.</summary>
public sealed class IptablesHealthCheck(IIptables iptables) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await EgressCheck.EnsureAvailableAsync(iptables, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (EgressUnavailableException error)
        {
            return HealthCheckResult.Unhealthy(error.Message);
        }
    }
}
