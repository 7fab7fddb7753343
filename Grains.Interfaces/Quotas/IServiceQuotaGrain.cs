using Orleans.Concurrency;

namespace Corral.Quotas;

/// <summary>
/// All admission state of one service with a cap (key: the service name, lower case): the jobs holding a slot per
/// user, each user's FIFO queue and the users' turns, so that every admission is one atomic decision that respects
/// both the cap and each user's own quota. Services without a cap use one <see cref="IQuotaGrain"/> per user, which
/// forwards here when the service has one.
/// </summary>
public interface IServiceQuotaGrain : IQuotaQueueGrain
{
    /// <summary>Adds the user's job (idempotent) and says whether it holds a slot or where it waits.</summary>
    Task<QuotaDecision> EnqueueAsync(string user, string jobId, Corral.Jobs.JobPriority priority = Corral.Jobs.JobPriority.Normal);

    /// <summary>
    /// The job ended (however): free its slot or drop it from the queue, add its CPU time to its user's decayed usage
    /// and its CPU- and GPU-seconds beyond what its reports counted to their budgets (once), then admit whoever is next.
    /// </summary>
    Task ReleaseAsync(string user, string jobId, double cpuSeconds = 0, double gpuSeconds = 0);

    /// <summary>As <see cref="IQuotaGrain.NoteRunningTimeAsync"/>, for one user's job.</summary>
    [OneWay]
    Task NoteRunningTimeAsync(string user, string jobId, double cpuSeconds, double gpuSeconds);

    /// <summary>The limits admitted by now and their sources (a service without a cap has no <c>maxRuns</c> or burst).</summary>
    Task<ServiceLimits> GetLimitsAsync();

    /// <summary>
    /// Replaces the run-time overrides (null or empty: back to the settings), persisted and applied at once: a raised
    /// limit admits waiting jobs, a lowered one admits no more until jobs end. Every user with jobs in the service is
    /// sent their new figures (quotaUpdated). For a service without a cap, this grain keeps the overrides and hands
    /// them to each user's <see cref="IQuotaGrain"/>; a cap, burst, preemption or fairness cannot be set there. A change
    /// that conflicts with the settings (a default duration above the ceiling) is refused, naming the field, and
    /// changes nothing.
    /// </summary>
    Task<LimitsChange> SetLimitsAsync(LimitOverrides? overrides);

    /// <summary>The run-time overrides (null: none), which each user's grain of a service without a cap admits by.</summary>
    Task<LimitOverrides?> GetOverridesAsync();

    Task<QuotaUsage> GetUsageAsync(string user);

    /// <summary>As <see cref="IQuotaGrain.ReprioritizeAsync"/>, for one user's waiting job.</summary>
    Task<bool> ReprioritizeAsync(string user, string jobId, Corral.Jobs.JobPriority priority);

    /// <summary>Where the user's waiting job stands and what holds it, or null when it is not waiting.</summary>
    Task<QueueWait?> GetWaitAsync(string user, string jobId);

    /// <summary>As <see cref="IQuotaGrain.IsPreemptingAsync"/>.</summary>
    Task<bool> IsPreemptingAsync(string jobId);
}
