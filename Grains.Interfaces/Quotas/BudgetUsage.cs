namespace Corral.Quotas;

/// <summary>
/// One user's recent spending in one service, counted against its budgets (SERVICE_&lt;NAME&gt;_JOBS_PER_USER_PER_HOUR,
/// _CPU_SECONDS_PER_USER_PER_DAY, _GPU_SECONDS_PER_USER_PER_DAY): buckets of time, oldest first, pruned as they leave
/// their window, so a user holds at most a few dozen of each.
/// </summary>
[GenerateSerializer, Alias("corral.budget-usage")]
public sealed class BudgetUsage
{
    /// <summary>Jobs admitted, counted when admitted.</summary>
    [Id(0)] public List<UsageBucket> Starts { get; set; } = [];

    /// <summary>CPU-seconds measured from each job's cgroup, counted as the job reports them while it runs and when it ends.</summary>
    [Id(1)] public List<UsageBucket> CpuSeconds { get; set; } = [];

    /// <summary>GPUs held × seconds run, counted as the job reports them while it runs and when it ends.</summary>
    [Id(2)] public List<UsageBucket> GpuSeconds { get; set; } = [];

    public bool IsEmpty => Starts.Count == 0 && CpuSeconds.Count == 0 && GpuSeconds.Count == 0;
}
