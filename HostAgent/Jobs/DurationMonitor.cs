using Corral.HostAgent.Containers;
using Corral.Jobs;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent.Jobs;

/// <summary>
/// Ends a job that runs past its maximum duration (<c>max_duration_exceeded</c>). The deadline counts from the
/// container's start as the engine recorded it, and the limit is read from the container's label, so an agent that
/// adopts the container after a restart keeps the same deadline.
/// </summary>
public sealed partial class DurationMonitor(ContainerRuntime runtime, TimeProvider clock, ILogger<DurationMonitor> logger) : IJobMonitor
{
    /// <summary>How often a created container is looked at until it has started.</summary>
    private static readonly TimeSpan StartPoll = TimeSpan.FromSeconds(1);

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
            var limit = await runtime.GetRunLimitAsync(context.ContainerId, cancellationToken);
            if (limit.MaxDurationSeconds is not { } seconds)
            {
                return;
            }

            while (limit.StartedAt is null)
            {
                await Task.Delay(StartPoll, clock, cancellationToken);
                limit = await runtime.GetRunLimitAsync(context.ContainerId, cancellationToken);
            }

            var due = limit.StartedAt.Value.AddSeconds(seconds) - clock.GetUtcNow();
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, clock, cancellationToken);
                limit = await runtime.GetRunLimitAsync(context.ContainerId, cancellationToken);
            }

            if (limit.Exited)
            {
                // It ended by itself in time (an adopted container found already stopped, say): its own exit counts.
                return;
            }

            await context.KillAsync(TerminationReason.MaxDurationExceeded, JobOutcome.MaxDurationMessage(seconds));
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception error)
        {
            // The grain's own deadline check ends the job a little later if this agent cannot.
            LogWatchFailed(context.Job.JobId, error.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: cannot watch its maximum duration: {Error}")]
    private partial void LogWatchFailed(string jobId, string error);
}
