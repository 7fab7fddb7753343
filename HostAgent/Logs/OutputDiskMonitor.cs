using Corral.HostAgent.Jobs;
using Corral.Jobs;
using Corral.Resources;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent.Logs;

/// <summary>
/// Ends a job when the file system of the host's job output (JOB_OUTPUT_DIR) has less than JOB_OUTPUT_MIN_FREE_BYTES
/// free. The runner drops output it cannot write rather than stall the job, so a job left running on a full disk would
/// succeed with its log silently cut; ended, it fails <c>output_disk_full</c> and says why. Checked before the container
/// starts (no job starts onto a full disk) and every <see cref="CheckInterval"/> while it runs. Working directories sit
/// beside the output by default, so a job filling its own directory (under its JOB_WORK_MAX_BYTES cap) is caught too.
/// </summary>
public sealed partial class OutputDiskMonitor(
    JobOutputFiles files,
    HostAgentSettings settings,
    TimeProvider clock,
    ILogger<OutputDiskMonitor> logger) : IJobMonitor
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    public static string Message(string folder, long free, long minimum) =>
        $"the host's job output disk is full: {folder} has {ByteSize.Format(free)} free, under JOB_OUTPUT_MIN_FREE_BYTES " +
        $"({ByteSize.Format(minimum)}); output written while it was full may be missing";

    public async Task<IAsyncDisposable> StartAsync(JobMonitorContext context, CancellationToken cancellationToken)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (await EndedIfFullAsync(context))
        {
            return new MonitorWatch(stop, Task.CompletedTask);
        }

        var watching = Task.Run(() => WatchAsync(context, stop.Token), CancellationToken.None);
        return new MonitorWatch(stop, watching);
    }

    /// <summary>Free bytes for an unprivileged writer on the output folder's file system.</summary>
    public static long FreeBytes(string folder) => new DriveInfo(folder).AvailableFreeSpace;

    private async Task WatchAsync(JobMonitorContext context, CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(CheckInterval, clock);
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (await EndedIfFullAsync(context))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<bool> EndedIfFullAsync(JobMonitorContext context)
    {
        long free;
        try
        {
            free = FreeBytes(files.Folder);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Not knowing is no reason to end a job; the next check may know.
            LogCheckFailed(context.Job.JobId, error.Message);
            return false;
        }

        if (free >= settings.JobOutputMinFreeBytes)
        {
            return false;
        }

        LogDiskFull(context.Job.JobId, files.Folder, free, settings.JobOutputMinFreeBytes);
        await context.KillAsync(TerminationReason.OutputDiskFull, Message(files.Folder, free, settings.JobOutputMinFreeBytes));
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} ended: {Folder} has {Free} bytes free, under {Minimum}")]
    private partial void LogDiskFull(string jobId, string folder, long free, long minimum);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: cannot read the output disk's free space: {Error}")]
    private partial void LogCheckFailed(string jobId, string error);
}
