using Corral.Jobs;

namespace Corral.Scheduling;

/// <summary>
/// A job holding a slot of a service, as preemption weighs it: its priority, and <paramref name="Admission"/>, the
/// order it was admitted in (higher is more recent).
/// </summary>
public sealed record HeldJob(string JobId, string User, JobPriority Priority, long Admission);
