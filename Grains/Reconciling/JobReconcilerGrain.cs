using Corral.Jobs;
using Microsoft.Extensions.Logging;

namespace Corral.Reconciling;

/// <inheritdoc cref="IJobReconcilerGrain"/>
/// <remarks>
/// This replaces a reminder per job: registering and removing one cost two commits of their own for every job,
/// more than all its state writes once those share commits. Here the job's row in the job index
/// (<see cref="IJobIndex"/>, written with its state) says whether it is unfinished, and one reminder walks those rows.
/// </remarks>
public sealed partial class JobReconcilerGrain(IJobIndex index, ILogger<JobReconcilerGrain> logger)
    : Grain, IJobReconcilerGrain, IRemindable
{
    public static readonly TimeSpan Period = TimeSpan.FromMinutes(1);
    private const int PageSize = 1000;

    public async Task StartAsync() => await this.RegisterOrUpdateReminder("sweep", Period, Period);

    /// <summary>
    /// Wakes every unfinished job not written for <paramref name="quietFor"/>; returns how many. What the reminder
    /// runs, with <see cref="Period"/>; static so a test can sweep without waiting a minute for the reminder.
    /// </summary>
    public static async Task<int> SweepAsync(IJobIndex index, IGrainFactory grains, TimeSpan quietFor)
    {
        var woken = 0;
        string? after = null;
        while (true)
        {
            var page = await index.ListUnfinishedAsync(quietFor, after, PageSize);
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
