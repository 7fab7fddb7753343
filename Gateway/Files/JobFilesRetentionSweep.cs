using Corral.Files;

namespace Corral.Gateway.Files;

/// <summary>
/// Removes the input and result files of jobs that ended longer ago than JOB_FILES_RETENTION, every
/// <see cref="Interval"/>, logging each job it cleared. Every gateway runs it; a PostgreSQL advisory lock lets one
/// sweep at a time (<see cref="PostgresJobFileRetention"/>).
/// </summary>
public sealed partial class JobFilesRetentionSweep(
    PostgresJobFileRetention retention, JobFileSettings settings, TimeProvider clock, ILogger<JobFilesRetentionSweep> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

    /// <summary>One sweep; null when another gateway's sweep held the lock.</summary>
    public async Task<IReadOnlyList<RemovedJobFiles>?> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var cutoff = clock.GetUtcNow() - settings.Retention;
        var removed = await retention.SweepAsync(cutoff, cancellationToken);
        foreach (var job in removed ?? [])
        {
            LogRemoved(job.JobId, job.Files, job.Bytes, cutoff);
        }

        return removed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepOnceAsync(stoppingToken);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                // The database may be briefly away: the next sweep retries, nothing is lost by waiting.
                LogFailed(error.Message);
            }

            try
            {
                await Task.Delay(Interval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: removed {Files} files ({Bytes} bytes) of job {JobId}, which ended before {Cutoff:o}")]
    private partial void LogRemoved(string jobId, int files, long bytes, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention sweep failed, retried at the next interval: {Reason}")]
    private partial void LogFailed(string reason);
}
