using System.Collections.Immutable;

namespace Corral.Users;

/// <summary>
/// Which jobs each user submitted. A row per job in production (<c>corral_user_jobs</c>), so a submission costs one
/// small insert however many jobs the user has, where a list in the user's grain state was rewritten whole.
/// </summary>
public interface IUserJobIndex
{
    /// <summary>Records the job; recording it again changes nothing.</summary>
    Task AddAsync(string user, string jobId);

    /// <summary>The user's job ids, newest first.</summary>
    Task<ImmutableArray<string>> ListAsync(string user);
}
