using Corral.Jobs;
using Corral.Quotas;
using Microsoft.Extensions.Logging;

namespace Corral.Reconciling;

/// <inheritdoc cref="IJobReconcilerGrain"/>
/// <remarks>
/// This replaces a reminder per job: registering and removing one cost two commits of their own for every job,
/// more than all its state writes once those share commits. Here the job's row in the job index
/// (<see cref="IJobIndex"/>, written with its state) says whether it is unfinished, and one reminder walks those rows.
/// A job waiting in its quota's queue is that quota's to admit, so the sweep wakes the quota grains that hold waiting
/// jobs (one call each, which also arms their budget timers again after a restart) and leaves the jobs themselves
/// until they have been quiet for <see cref="WaitingJobsQuietFor"/>: 100,000 queued jobs then cost a few hundred
/// quota calls a minute, not 100,000 activations, row writes and quota calls.
/// </remarks>
public sealed partial class JobReconcilerGrain(IJobIndex index, IWaitingJobStore waiting, ILogger<JobReconcilerGrain> logger)
    : Grain, IJobReconcilerGrain, IRemindable
{
    public static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    /// <summary>How long a job waiting in a quota's queue is left alone: the safety net for a wake its quota missed.</summary>
    public static readonly TimeSpan WaitingJobsQuietFor = TimeSpan.FromHours(1);

    private const int PageSize = 1000;

    public async Task StartAsync() => await this.RegisterOrUpdateReminder("sweep", Period, Period);

    /// <summary>
    /// Wakes every quota grain with waiting jobs, every unfinished job not written for <paramref name="quietFor"/> that
    /// waits in no queue, and those that wait once quiet for <paramref name="waitingQuietFor"/>. What the reminder runs,
    /// with <see cref="Period"/> and <see cref="WaitingJobsQuietFor"/>; static so a test can sweep without waiting for it.
    /// </summary>
    public static async Task<ReconcilerSweep> SweepAsync(
        IJobIndex index, IWaitingJobStore waiting, IGrainFactory grains, TimeSpan quietFor, TimeSpan waitingQuietFor)
    {
        var quotas = await waiting.ListQuotasWithWaitingJobsAsync();
        foreach (var quota in quotas)
        {
            // One-way, as the jobs' wakes below.
            await grains.GetGrain(quota).AsReference<IQuotaQueueGrain>().WakeAsync();
        }

        var jobs = new List<string>();
        await WakeJobsAsync(index, waiting, grains, quietFor, wakesWaiting: false, jobs);
        await WakeJobsAsync(index, waiting, grains, waitingQuietFor, wakesWaiting: true, jobs);
        return new ReconcilerSweep(jobs, quotas);
    }

    /// <summary>
    /// Wakes the unfinished jobs quiet for <paramref name="quietFor"/> that wait in a queue (<paramref name="wakesWaiting"/>)
    /// or in none, adding them to <paramref name="woken"/>.
    /// </summary>
    private static async Task WakeJobsAsync(
        IJobIndex index, IWaitingJobStore waiting, IGrainFactory grains, TimeSpan quietFor, bool wakesWaiting, List<string> woken)
    {
        string? after = null;
        while (true)
        {
            var page = await index.ListUnfinishedAsync(quietFor, after, PageSize);
            var inQueues = page.Count == 0 ? new HashSet<string>() : await waiting.WhichWaitAsync(page);
            foreach (var job in page.Where(id => inQueues.Contains(id) == wakesWaiting))
            {
                // One-way: a job that is slow to wake never holds up the sweep.
                await grains.GetGrain<IJobGrain>(job).ReconcileAsync();
                woken.Add(job);
            }

            if (page.Count < PageSize)
            {
                return;
            }

            after = page[^1];
        }
    }

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        var sweep = await SweepAsync(index, waiting, GrainFactory, Period, WaitingJobsQuietFor);
        if (sweep.Jobs.Count > 0)
        {
            LogSwept(sweep.Jobs.Count, Period.TotalSeconds, sweep.Quotas.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Woke {Count} unfinished job(s) quiet for {Seconds} s, and {Quotas} quota grain(s) with waiting jobs")]
    private partial void LogSwept(int count, double seconds, int quotas);
}

/// <summary>What one sweep of the job reconciler woke: jobs by id, quota grains with waiting jobs by grain id.</summary>
public sealed record ReconcilerSweep(IReadOnlyList<string> Jobs, IReadOnlyList<GrainId> Quotas);
