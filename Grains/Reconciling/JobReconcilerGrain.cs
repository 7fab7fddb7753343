using Corral.Jobs;
using Microsoft.Extensions.Logging;

namespace Corral.Reconciling;

/// <inheritdoc cref="IJobReconcilerGrain"/>
/// <remarks>
/// This replaces a reminder per job: registering and removing one cost two commits of their own for every job,
/// more than all its state writes once those share commits. Here the job's state row carries the "unfinished"
/// flag (written with the state, so it costs nothing extra), and one reminder walks the flagged rows.
/// </remarks>
public sealed partial class JobReconcilerGrain(IActiveGrainIndex index, ILogger<JobReconcilerGrain> logger)
    : Grain, IJobReconcilerGrain, IRemindable
{
    public const string JobStateName = "job";
    public static readonly TimeSpan Period = TimeSpan.FromMinutes(1);
    private const int PageSize = 1000;

    public async Task StartAsync() => await this.RegisterOrUpdateReminder("sweep", Period, Period);

    /// <summary>
    /// Wakes every unfinished job not written for <paramref name="quietFor"/>; returns how many. What the reminder
    /// runs, with <see cref="Period"/>; static so a test can sweep without waiting a minute for the reminder.
    /// </summary>
    public static async Task<int> SweepAsync(IActiveGrainIndex index, IGrainFactory grains, TimeSpan quietFor)
    {
        var woken = 0;
        GrainId? after = null;
        while (true)
        {
            var page = await index.ListQuietAsync(JobStateName, quietFor, after, PageSize);
            foreach (var job in page)
            {
                // One-way: a job that is slow to wake never holds up the sweep.
                await grains.GetGrain<IJobGrain>(job).ReconcileAsync();
            }

            woken += page.Count;
            if (page.Count < PageSize)
            {
                break;
            }

            after = page[^1];
        }

        return woken;
    }

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        var woken = await SweepAsync(index, GrainFactory, Period);
        if (woken > 0)
        {
            LogSwept(woken, Period.TotalSeconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Woke {Count} unfinished job(s) quiet for {Seconds} s")]
    private partial void LogSwept(int count, double seconds);
}
