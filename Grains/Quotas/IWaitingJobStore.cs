using Corral.Scheduling;

namespace Corral.Quotas;

/// <summary>
/// Where a quota grain keeps its waiting jobs, one row each, so that storing a change costs the change and not the
/// whole queue. Production keeps them in <c>corral_quota_waiting</c>; in-memory clusters in
/// <see cref="MemoryWaitingJobStore"/>.
/// </summary>
public interface IWaitingJobStore
{
    /// <summary>The jobs waiting in the queue of grain <paramref name="quota"/>, in no particular order.</summary>
    Task<IReadOnlyList<WaitingJob>> LoadAsync(GrainId quota);

    /// <summary>
    /// Writes the grain's state (through <paramref name="writeState"/>, state name <paramref name="stateName"/>) and
    /// the queue's changes together: in the same transaction when the grain store shares its commits, and then only
    /// if the state write succeeded; otherwise the state first. Either way the rows never disagree with the state.
    /// </summary>
    /// <param name="quota">The quota grain; its id keys the rows and names its state in the grain store.</param>
    /// <param name="stateName">The name of the grain's persistent state.</param>
    /// <param name="stored">Jobs now waiting that are new or changed.</param>
    /// <param name="deleted">Ids of jobs that no longer wait.</param>
    /// <param name="writeState">Writes the grain's state.</param>
    Task SaveAsync(
        GrainId quota, string stateName, IReadOnlyList<WaitingJob> stored, IReadOnlyList<string> deleted, Func<Task> writeState);

    /// <summary>The quota grains that have jobs waiting, in no particular order.</summary>
    Task<IReadOnlyList<GrainId>> ListQuotasWithWaitingJobsAsync();

    /// <summary>Those of <paramref name="jobIds"/> that wait in a quota grain's queue.</summary>
    Task<IReadOnlySet<string>> WhichWaitAsync(IReadOnlyCollection<string> jobIds);
}
