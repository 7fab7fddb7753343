using System.Collections.Immutable;

namespace Corral.Jobs;

/// <summary>
/// The job index: one row per job, written with the job's state, read by lists (newest first) and by the job
/// reconciler (unfinished jobs). Production keeps it in <c>corral_jobs</c>; in-memory clusters in
/// <see cref="MemoryJobIndex"/>.
/// </summary>
public interface IJobIndex
{
    /// <summary>
    /// Writes the job's state (through <paramref name="writeState"/>) and its row together: in the same
    /// transaction when the grain store shares its commits, otherwise the state first, so a row never runs
    /// ahead of a state that failed to be written.
    /// </summary>
    Task SaveAsync(JobRow row, Func<Task> writeState);

    /// <summary>Writes the row alone (the reconciler's repair of a row that missed a write).</summary>
    Task WriteRowAsync(JobRow row);

    /// <summary>
    /// Up to <paramref name="limit"/> unfinished jobs whose row was not written for <paramref name="quietFor"/>,
    /// in id order after <paramref name="after"/>.
    /// </summary>
    Task<IReadOnlyList<string>> ListUnfinishedAsync(TimeSpan quietFor, string? after, int limit);

    /// <summary>
    /// The users with a job of <paramref name="service"/> (any case) that has not yet given back its quota slot or left
    /// its queue: those whose quota grains a change of the service's limits must reach.
    /// </summary>
    Task<IReadOnlyList<string>> ListUsersWithUnfinishedJobsAsync(string service);

    /// <summary>The user's newest <paramref name="limit"/> job ids, newest first.</summary>
    Task<ImmutableArray<string>> ListIdsAsync(string user, int limit);
}
