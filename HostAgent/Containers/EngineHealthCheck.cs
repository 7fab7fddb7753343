using Docker.DotNet;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Corral.HostAgent.Containers;

/// <summary>Ready only while the Docker engine answers a ping: without it no job can start, stop or be watched here.</summary>
public sealed class EngineHealthCheck(DockerClient docker) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await docker.System.PingAsync(timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception error) when (error is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"the Docker engine does not answer: {error.Message}");
        }
    }
}
