using System.Collections.Immutable;
using Corral.Quotas;

namespace Corral.Users;

/// <summary>The index of one user's jobs and the services they used.</summary>
public interface IUserGrain : IGrainWithStringKey
{
    Task AddJobAsync(string jobId, string service);

    /// <summary>The user's newest job ids (at most 1,000), newest first; whole lists are paged from the job index.</summary>
    Task<ImmutableArray<string>> GetJobIdsAsync();

    /// <summary>Usage of every service the user ran or that has a configured limit.</summary>
    Task<ImmutableArray<QuotaUsage>> GetQuotasAsync();
}
