using System.Globalization;
using Corral.Quotas;

namespace Corral.Scheduling;

/// <summary>
/// A service's budgets per user (SERVICE_&lt;NAME&gt;_JOBS_PER_USER_PER_HOUR, _CPU_SECONDS_PER_USER_PER_DAY,
/// _GPU_SECONDS_PER_USER_PER_DAY); a null budget is none. A user who has spent any of them starts no more jobs until
/// enough of the spending leaves its sliding window (<see cref="BudgetWindow"/>); their jobs wait, never rejected.
/// Jobs count when admitted; CPU- and GPU-seconds as a running job reports them (<see cref="RecordRunning"/>), the rest
/// when it ends. A budget holds back new jobs only: a job admitted under budget runs to its end whatever it spends.
/// </summary>
public sealed record UsageBudget(int? JobsPerHour = null, int? CpuSecondsPerDay = null, int? GpuSecondsPerDay = null)
{
    public static readonly UsageBudget None = new();

    public bool IsNone => JobsPerHour is null && CpuSecondsPerDay is null && GpuSecondsPerDay is null;

    /// <summary>Whether the user may start another job now.</summary>
    public bool Allows(BudgetUsage? usage, DateTimeOffset now) => Spent(usage, now) is null;

    /// <summary>What the user has spent, as a wait reason ("waiting: budget spent (cpu-seconds 3600/3600 per day)"); null when within every budget.</summary>
    public string? Spent(BudgetUsage? usage, DateTimeOffset now)
    {
        if (usage is null)
        {
            return null;
        }

        foreach (var (limit, buckets, window, what) in Budgets(usage))
        {
            var spent = window.Spent(buckets, now);
            if (spent >= limit)
            {
                var per = window == BudgetWindow.Hour ? "hour" : "day";
                return string.Create(CultureInfo.InvariantCulture, $"waiting: budget spent ({what} {Math.Floor(spent)}/{limit} per {per})");
            }
        }

        return null;
    }

    /// <summary>Each budget set and how much of it is spent now; null when none is set.</summary>
    public IReadOnlyList<BudgetFigure>? Figures(BudgetUsage? usage, DateTimeOffset now) => IsNone
        ? null
        : [.. Budgets(usage ?? new BudgetUsage()).Select(b => new BudgetFigure(
            b.What, Math.Round(b.Window.Spent(b.Buckets, now), 1), b.Limit, b.Window == BudgetWindow.Hour ? "hour" : "day"))];

    /// <summary>When every spent budget allows another job again; null when none is spent.</summary>
    public DateTimeOffset? FreesAt(BudgetUsage? usage, DateTimeOffset now)
    {
        if (usage is null)
        {
            return null;
        }

        DateTimeOffset? latest = null;
        foreach (var (limit, buckets, window, _) in Budgets(usage))
        {
            if (window.FreesAt(buckets, now, limit) is { } at && (latest is null || at > latest))
            {
                latest = at;
            }
        }

        return latest;
    }

    /// <summary>Counts a job admitted at <paramref name="now"/> (only while a job budget is set, so usage stays small).</summary>
    public void RecordStart(BudgetUsage usage, DateTimeOffset now)
    {
        if (JobsPerHour is not null)
        {
            BudgetWindow.Hour.Add(usage.Starts, now, 1);
        }
    }

    /// <summary>Whether a CPU- or GPU-seconds budget is set, so running jobs' time is worth reporting.</summary>
    public bool CountsTime => CpuSecondsPerDay is not null || GpuSecondsPerDay is not null;

    /// <summary>
    /// Counts a job's CPU- and GPU-seconds so far (its totals, while it runs or as it ends) beyond what is
    /// <paramref name="counted"/> already, and answers what is counted after this. Totals below what is counted add
    /// nothing, so a report that is repeated or overtaken by a later one counts nothing twice.
    /// </summary>
    public CountedTime RecordRunning(BudgetUsage usage, DateTimeOffset now, CountedTime counted, double cpuSeconds, double gpuSeconds)
    {
        RecordTime(usage, now, cpuSeconds - counted.CpuSeconds, gpuSeconds - counted.GpuSeconds);
        return new CountedTime(Math.Max(counted.CpuSeconds, cpuSeconds), Math.Max(counted.GpuSeconds, gpuSeconds));
    }

    /// <summary>Counts measured CPU- and GPU-seconds (each only while its budget is set; amounts of zero or less add nothing).</summary>
    public void RecordTime(BudgetUsage usage, DateTimeOffset now, double cpuSeconds, double gpuSeconds)
    {
        if (CpuSecondsPerDay is not null)
        {
            BudgetWindow.Day.Add(usage.CpuSeconds, now, cpuSeconds);
        }

        if (GpuSecondsPerDay is not null)
        {
            BudgetWindow.Day.Add(usage.GpuSeconds, now, gpuSeconds);
        }
    }

    /// <summary>Drops spending that has left its window; true when nothing is left, so the user's entry can go.</summary>
    public static bool Prune(BudgetUsage usage, DateTimeOffset now)
    {
        BudgetWindow.Hour.Prune(usage.Starts, now);
        BudgetWindow.Day.Prune(usage.CpuSeconds, now);
        BudgetWindow.Day.Prune(usage.GpuSeconds, now);
        return usage.IsEmpty;
    }

    private IEnumerable<(int Limit, List<UsageBucket> Buckets, BudgetWindow Window, string What)> Budgets(BudgetUsage usage)
    {
        if (JobsPerHour is { } jobs)
        {
            yield return (jobs, usage.Starts, BudgetWindow.Hour, "jobs");
        }

        if (CpuSecondsPerDay is { } cpu)
        {
            yield return (cpu, usage.CpuSeconds, BudgetWindow.Day, "cpu-seconds");
        }

        if (GpuSecondsPerDay is { } gpu)
        {
            yield return (gpu, usage.GpuSeconds, BudgetWindow.Day, "gpu-seconds");
        }
    }
}
