using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Corral.Hosting.Operations;

/// <summary>
/// A cluster client (the gateway) is ready while a round trip into the cluster succeeds: the management grain's list
/// of active silos, which every silo answers without touching PostgreSQL.
/// </summary>
public sealed class ClusterClientHealthCheck(IClusterClient client) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var silos = await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return silos.Count > 0
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("the cluster has no active silo");
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"the cluster does not answer: {error.Message}");
        }
    }
}
