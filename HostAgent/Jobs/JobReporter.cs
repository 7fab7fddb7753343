using Corral.Jobs;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent.Jobs;

/// <summary>
/// Delivers what happened on this host to job grains. Facts that must not be lost (running, exited) are
/// retried until the cluster takes them, so a core silo restart only delays them: at most 2 s past the cluster's
/// return (a job's end that waits holds its quota slot, so the wait is kept short).
/// </summary>
public sealed partial class JobReporter(IGrainFactory grains, ILogger<JobReporter> logger)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    public async Task SendAsync(string jobId, Func<IJobGrain, Task> send, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                await send(grains.GetGrain<IJobGrain>(jobId));
                return;
            }
            catch (Exception error) when (error is not OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                LogRetrying(jobId, error.Message, delay.TotalMilliseconds);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    /// <summary>Best effort, for figures that the next report replaces anyway.</summary>
    public async Task TrySendAsync(string jobId, Func<IJobGrain, Task> send)
    {
        try
        {
            await send(grains.GetGrain<IJobGrain>(jobId));
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            LogRetrying(jobId, error.Message, 0);
        }
    }

    /// <summary>
    /// Whether the cluster has recorded the job's end, or moved it past <paramref name="attempt"/> (a retry after its
    /// worker was lost); null when it cannot be asked now.
    /// </summary>
    public async Task<bool?> HasEndedAsync(string jobId, int attempt)
    {
        try
        {
            var view = await grains.GetGrain<IJobGrain>(jobId).GetAsync();
            return view is not null && (JobStateMachine.IsTerminal(view.Status) || view.Attempt > attempt);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            LogRetrying(jobId, error.Message, 0);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: could not report to the cluster ({Error}); retrying in {DelayMs} ms")]
    private partial void LogRetrying(string jobId, string error, double delayMs);
}
