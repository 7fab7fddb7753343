using Corral.Hosting;
using Corral.HostAgent.Jobs;
using Corral.Jobs;
using Corral.Placement;

namespace Corral.HostAgent;

/// <inheritdoc cref="IHostGrain"/>
[HostSiloPlacement]
public sealed class HostGrain(JobSupervisor supervisor) : Grain, IHostGrain
{
    public Task StartAsync(JobLaunch launch)
    {
        supervisor.Start(launch);
        return Task.CompletedTask;
    }

    public Task StopAsync(string jobId, TerminationReason reason, string message)
    {
        supervisor.Stop(jobId, reason, message);
        return Task.CompletedTask;
    }

    public Task EndAsync(string jobId, string message)
    {
        supervisor.End(jobId, message);
        return Task.CompletedTask;
    }

    public Task<HostJobState> InspectAsync(string jobId) => Task.FromResult(supervisor.Inspect(jobId));
}
