using Corral.HostAgent.Jobs;

namespace Corral.HostAgent.Workspaces;

/// <summary>
/// Collects a job's working directory as its results when the supervisor lets go of the container, which it does
/// once the container has exited and before it reports the end: a finished job's results are always there,
/// whatever ended it. Registered after the other monitors, so it runs last.
/// </summary>
public sealed class ResultsMonitor(WorkspaceResults results) : IJobMonitor
{
    public Task<IAsyncDisposable> StartAsync(JobMonitorContext context, CancellationToken cancellationToken) =>
        Task.FromResult<IAsyncDisposable>(new Collect(results, context.Job.JobId, cancellationToken));

    private sealed class Collect(WorkspaceResults results, string jobId, CancellationToken stopping) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await results.CollectAndRemoveAsync(jobId, stopping);
    }
}
