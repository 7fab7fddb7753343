using Corral.HostAgent.Containers;
using Corral.Jobs;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent.Jobs;

/// <summary>
/// Ends a job as soon as the kernel's OOM killer strikes inside its container. A batch job whose main process
/// was killed exits by itself; an SSH session would not (only the greedy process dies and the server lives
/// on), yet its state is no longer what the user left: the job ends <c>out_of_memory</c> either way.
/// </summary>
public sealed partial class OomMonitor(ContainerRuntime runtime, ILogger<OomMonitor> logger) : IJobMonitor
{
    public const string Message = "the container ran out of memory and was killed";

    public Task<IAsyncDisposable> StartAsync(JobMonitorContext context, CancellationToken cancellationToken)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watching = WatchAsync(context, stop.Token);
        return Task.FromResult<IAsyncDisposable>(new MonitorWatch(stop, watching));
    }

    private async Task WatchAsync(JobMonitorContext context, CancellationToken cancellationToken)
    {
        try
        {
            await runtime.WatchOomAsync(
                context.ContainerId, () => context.KillAsync(TerminationReason.OutOfMemory, Message), cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception error)
        {
            LogWatchFailed(context.Job.JobId, error.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: cannot watch for OOM kills: {Error}")]
    private partial void LogWatchFailed(string jobId, string error);
}
