using Corral.Quotas;

namespace Corral.Scheduling;

/// <summary>
/// A sliding window over a user's spending, kept as buckets of <see cref="Bucket"/> length (<see cref="UsageBucket"/>),
/// so a day of CPU-seconds is at most 25 numbers however many jobs ran. Amounts count from the start of their bucket:
/// they leave the window between <see cref="Length"/> minus one bucket and <see cref="Length"/> after they were spent.
/// </summary>
public sealed record BudgetWindow(TimeSpan Length, TimeSpan Bucket)
{
    /// <summary>The window of the job-count budget (per hour), in 5-minute buckets.</summary>
    public static readonly BudgetWindow Hour = new(TimeSpan.FromHours(1), TimeSpan.FromMinutes(5));

    /// <summary>The window of the CPU- and GPU-seconds budgets (per day), in 1-hour buckets.</summary>
    public static readonly BudgetWindow Day = new(TimeSpan.FromDays(1), TimeSpan.FromHours(1));

    /// <summary>What was spent in the window ending at <paramref name="now"/>.</summary>
    public double Spent(IReadOnlyList<UsageBucket> buckets, DateTimeOffset now)
    {
        var spent = 0.0;
        foreach (var bucket in buckets)
        {
            if (!HasLeft(bucket, now))
            {
                spent += bucket.Amount;
            }
        }

        return spent;
    }

    /// <summary>Counts <paramref name="amount"/> at <paramref name="now"/>, dropping buckets that have left the window.</summary>
    public void Add(List<UsageBucket> buckets, DateTimeOffset now, double amount)
    {
        Prune(buckets, now);
        if (amount <= 0)
        {
            return;
        }

        var start = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % Bucket.Ticks), TimeSpan.Zero);
        // A clock that moved back adds to the newest bucket rather than opening an older one out of order.
        if (buckets.Count > 0 && buckets[^1].Start >= start)
        {
            buckets[^1] = buckets[^1] with { Amount = buckets[^1].Amount + amount };
        }
        else
        {
            buckets.Add(new UsageBucket(start, amount));
        }
    }

    /// <summary>Drops the buckets that have left the window.</summary>
    public void Prune(List<UsageBucket> buckets, DateTimeOffset now) => buckets.RemoveAll(b => HasLeft(b, now));

    /// <summary>
    /// When the spending in the window next falls below <paramref name="limit"/>: null when it already is, else when
    /// enough of the oldest buckets have left.
    /// </summary>
    public DateTimeOffset? FreesAt(IReadOnlyList<UsageBucket> buckets, DateTimeOffset now, double limit)
    {
        var spent = Spent(buckets, now);
        if (spent < limit)
        {
            return null;
        }

        foreach (var bucket in buckets)
        {
            if (HasLeft(bucket, now))
            {
                continue;
            }

            spent -= bucket.Amount;
            if (spent < limit)
            {
                return bucket.Start + Length;
            }
        }

        // Only a limit of zero or less never frees; the settings refuse those.
        return buckets.Count > 0 ? buckets[^1].Start + Length : now;
    }

    private bool HasLeft(UsageBucket bucket, DateTimeOffset now) => bucket.Start + Length <= now;
}
