using Corral.HostAgent.Jobs;
using Corral.Jobs;
using Corral.Resources;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent.Workspaces;

/// <summary>
/// Ends a job whose working directory passes JOB_WORK_MAX_BYTES, by walking it every <see cref="CheckInterval"/>
/// (regular files' lengths, links not followed). A walk needs no privilege, filesystem or mount, and costs one
/// stat per entry; the price is that a job can write past the cap for up to one interval before it is stopped.
/// </summary>
public sealed partial class DiskQuotaMonitor(
    JobWorkspaces workspaces,
    HostAgentSettings settings,
    TimeProvider clock,
    ILogger<DiskQuotaMonitor> logger) : IJobMonitor
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    public static string Message(long cap) =>
        $"its working directory {JobWorkspaces.InContainer} passed its size cap of {ByteSize.Format(cap)} ({cap} bytes, JOB_WORK_MAX_BYTES)";

    public Task<IAsyncDisposable> StartAsync(JobMonitorContext context, CancellationToken cancellationToken)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watching = Task.Run(() => WatchAsync(context, stop.Token), CancellationToken.None);
        return Task.FromResult<IAsyncDisposable>(new MonitorWatch(stop, watching));
    }

    private async Task WatchAsync(JobMonitorContext context, CancellationToken cancellationToken)
    {
        var cap = settings.JobWorkMaxBytes;
        try
        {
            using var timer = new PeriodicTimer(CheckInterval, clock);
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var size = workspaces.SizeOf(context.Job.JobId);
                if (size > cap)
                {
                    LogOverCap(context.Job.JobId, size, cap);
                    await context.KillAsync(TerminationReason.DiskQuotaExceeded, Message(cap));
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception error)
        {
            LogWatchFailed(context.Job.JobId, error.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: working directory holds {Size} bytes, over its cap of {Cap}")]
    private partial void LogOverCap(string jobId, long size, long cap);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: cannot watch its working directory's size: {Error}")]
    private partial void LogWatchFailed(string jobId, string error);
}
