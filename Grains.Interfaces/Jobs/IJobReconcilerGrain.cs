namespace Corral.Jobs;

/// <summary>
/// The safety net under every job: once a minute it wakes the unfinished jobs that have been quiet for a minute,
/// so a job whose silo crashed (and that nobody messages) moves on. One per cluster, key 0.
/// </summary>
public interface IJobReconcilerGrain : IGrainWithIntegerKey
{
    /// <summary>Registers the reminder that sweeps every minute. Idempotent; each core silo calls it at start.</summary>
    Task StartAsync();
}
