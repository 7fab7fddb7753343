using Corral.Files;
using Corral.Jobs;
using Corral.Workers;

namespace Corral.Gateway.Files;

/// <summary>A job's result files as the API shows them: a summary for its view, and a snapshot of a running job.</summary>
public sealed class JobResults(IGrainFactory grains, PostgresJobFileTotals totals, JobFileSettings settings, TimeProvider clock)
{
    public static bool HasEnded(JobView job) => job.Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled;

    public async Task<JobFilesSummary> SummarizeAsync(JobView job, CancellationToken cancellationToken)
    {
        if (!HasEnded(job))
        {
            return new JobFilesSummary(false, 0, 0, null);
        }

        var expiresAt = job.FinishedAt + settings.Retention;
        var (count, bytes) = await totals.TotalAsync(job.Id, JobFileSet.Results, cancellationToken);
        return new JobFilesSummary(expiresAt is null || expiresAt > clock.GetUtcNow(), count, bytes, expiresAt);
    }

    /// <summary>
    /// Asks the host running <paramref name="job"/> to copy its live working directory into its result files;
    /// false when it is not running (or its host is gone), in which case the results are whatever was stored.
    /// </summary>
    public async Task<bool> SnapshotAsync(JobView job)
    {
        if (job.Status is not (JobStatus.Running or JobStatus.Starting) || job.Worker is null)
        {
            return false;
        }

        return await grains.GetGrain<IWorkerGrain>(job.Worker).SnapshotFilesAsync(job.Id);
    }
}
