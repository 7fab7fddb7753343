using Corral.Jobs;

namespace Corral.Scheduling;

/// <summary>
/// A job waiting for a quota slot. <paramref name="Seq"/> is its arrival number in its queue: among jobs of one user
/// and one priority, the lower number goes first.
/// </summary>
public sealed record WaitingJob(string JobId, string User, JobPriority Priority, long Seq, DateTimeOffset EnqueuedAt);
