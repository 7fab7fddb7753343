using Orleans.Concurrency;

namespace Corral.Quotas;

/// <summary>
/// One user's run quota for one service (key <see cref="QuotaKey"/>): a FIFO queue of waiting jobs and
/// the set of jobs holding a slot. Nothing is ever rejected; it waits. For a service with a cap
/// (SERVICE_&lt;NAME&gt;_MAX_RUNS) every call is answered by that service's <see cref="IServiceQuotaGrain"/>.
/// </summary>
public interface IQuotaGrain : IQuotaQueueGrain
{
    /// <summary>
    /// Adds the job (idempotent) and says whether it holds a slot or where it waits: after the waiting jobs of its
    /// priority or higher, ahead of lower ones.
    /// </summary>
    Task<QuotaDecision> EnqueueAsync(string jobId, Corral.Jobs.JobPriority priority = Corral.Jobs.JobPriority.Normal);

    /// <summary>
    /// The job ended (however): free its slot or drop it from the queue, then admit the head. <paramref name="cpuSeconds"/>
    /// (its measured CPU time) counts toward its user's usage in a service shared by usage; it and
    /// <paramref name="gpuSeconds"/> (GPUs held × seconds run) count against the service's budgets, less what the
    /// job's reports while it ran counted already (<see cref="NoteRunningTimeAsync"/>).
    /// </summary>
    Task ReleaseAsync(string jobId, double cpuSeconds = 0, double gpuSeconds = 0);

    /// <summary>
    /// A job holding a slot reports its CPU- and GPU-seconds so far (its totals), one-way, while the service sets a CPU
    /// or GPU budget: what is beyond its earlier reports counts against its user's budgets now (<see cref="CountedTime"/>),
    /// and its release counts only the rest. Not counted for a job that holds no slot (any more).
    /// </summary>
    [OneWay]
    Task NoteRunningTimeAsync(string jobId, double cpuSeconds, double gpuSeconds);

    /// <summary>
    /// An admin changed the service's limits at run time (a service without a cap, whose users' grains admit): takes
    /// them for every decision from now on and admits the waiting jobs a raised limit lets run.
    /// </summary>
    Task ApplyOverridesAsync(LimitOverrides? overrides);

    Task<QuotaUsage> GetUsageAsync();

    /// <summary>
    /// Gives a waiting job another priority (an admin's decision): it moves within its user's line, keeping its
    /// arrival among equals. False when the job is not waiting.
    /// </summary>
    Task<bool> ReprioritizeAsync(string jobId, Corral.Jobs.JobPriority priority);

    /// <summary>1-based position of a waiting job, or null when it is not waiting.</summary>
    Task<int?> GetQueuePositionAsync(string jobId);

    /// <summary>Where a waiting job stands and what holds it, or null when it is not waiting.</summary>
    Task<QueueWait?> GetWaitAsync(string jobId);

    /// <summary>
    /// Whether the job is still chosen to make way for a waiting one: false once its preemption was called off (the
    /// job it was promised to left the line), so a job at the end of its preemption grace runs on.
    /// </summary>
    Task<bool> IsPreemptingAsync(string jobId);
}
