using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Corral.Hosting.Operations;

/// <summary>A silo is ready once it is an active member of the cluster, and no longer once it is stopping.</summary>
public sealed class SiloJoinedHealthCheck(ISiloStatusOracle membership) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(membership.CurrentStatus == SiloStatus.Active
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"silo is {membership.CurrentStatus}, not an active member of the cluster"));
}
