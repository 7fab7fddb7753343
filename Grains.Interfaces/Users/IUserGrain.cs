using System.Collections.Immutable;
using Corral.Quotas;
using Orleans.Concurrency;

namespace Corral.Users;

/// <summary>The index of one user's jobs and the services they used, and the keeper of the user's own limits.</summary>
public interface IUserGrain : IGrainWithStringKey
{
    /// <summary>
    /// Records a new job of the user, counted as waiting until <see cref="LeftQueueAsync"/>. Refuses it with
    /// <see cref="UserLimitExceededException"/> when the user already has USER_MAX_QUEUED_JOBS waiting, or when the
    /// service would be one more than USER_MAX_SERVICES distinct services.
    /// </summary>
    Task AddJobAsync(string jobId, string service);

    /// <summary>The job left the queued status (admitted, cancelled, failed): it no longer counts as waiting.</summary>
    [OneWay]
    Task LeftQueueAsync(string jobId);

    /// <summary>The job was preempted and waits again: it counts as waiting until it leaves the queue once more.</summary>
    [OneWay]
    Task ReturnedToQueueAsync(string jobId);

    /// <summary>The user's newest job ids (at most 1,000), newest first; whole lists are paged from the job index.</summary>
    Task<ImmutableArray<string>> GetJobIdsAsync();

    /// <summary>Usage of every service the user ran or that has a configured limit.</summary>
    Task<ImmutableArray<QuotaUsage>> GetQuotasAsync();
}
