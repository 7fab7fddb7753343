namespace Corral.Quotas;

/// <summary>
/// All admission state of one service with a cap (key: the service name, lower case): the jobs holding a slot per
/// user, each user's FIFO queue and the users' turns, so that every admission is one atomic decision that respects
/// both the cap and each user's own quota. Services without a cap use one <see cref="IQuotaGrain"/> per user, which
/// forwards here when the service has one.
/// </summary>
public interface IServiceQuotaGrain : IGrainWithStringKey
{
    /// <summary>Adds the user's job (idempotent) and says whether it holds a slot or where it waits.</summary>
    Task<QuotaDecision> EnqueueAsync(string user, string jobId, Corral.Jobs.JobPriority priority = Corral.Jobs.JobPriority.Normal);

    /// <summary>The job ended (however): free its slot or drop it from the queue, then admit whoever is next in turn.</summary>
    Task ReleaseAsync(string user, string jobId);

    Task<QuotaUsage> GetUsageAsync(string user);

    /// <summary>Where the user's waiting job stands and what holds it, or null when it is not waiting.</summary>
    Task<QueueWait?> GetWaitAsync(string user, string jobId);
}
