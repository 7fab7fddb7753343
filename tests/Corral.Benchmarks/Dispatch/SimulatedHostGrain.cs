using Corral.Hosting;
using Corral.Jobs;
using Corral.Placement;

namespace Corral.Benchmarks.Dispatch;

/// <summary>
/// The benchmark silo's host grain: placed on its own silo by the product's placement, exactly like the product's
/// HostGrain, but handing jobs to the <see cref="SimulatedFleet"/> instead of Docker. The benchmark silo leaves the
/// product's HostGrain out (see <see cref="BenchmarkSilo"/>), so this is the one implementation of IHostGrain.
/// </summary>
[HostSiloPlacement]
public sealed class SimulatedHostGrain(SimulatedFleet fleet) : Grain, IHostGrain
{
    public Task StartAsync(JobLaunch launch)
    {
        fleet.Start(launch);
        return Task.CompletedTask;
    }

    public Task StopAsync(string jobId, TerminationReason reason, string message)
    {
        fleet.Stop(jobId, reason, message);
        return Task.CompletedTask;
    }

    /// <summary>Simulated jobs do not checkpoint: the stop at the end of a grace is what ends them.</summary>
    public Task AskToStopAsync(string jobId) => Task.CompletedTask;

    public Task EndAsync(string jobId, string message)
    {
        fleet.Stop(jobId, TerminationReason.CancelledByUser, message);
        return Task.CompletedTask;
    }

    public Task<HostJobState> InspectAsync(string jobId) => Task.FromResult(fleet.Inspect(jobId));

    /// <summary>Simulated jobs write no files.</summary>
    public Task<bool> SnapshotFilesAsync(string jobId) => Task.FromResult(false);
}
