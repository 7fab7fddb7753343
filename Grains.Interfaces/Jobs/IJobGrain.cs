using Orleans.Concurrency;

namespace Corral.Jobs;

/// <summary>One job: its spec, its state machine and its counters. The single source of truth for that job.</summary>
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>Accepts the job. Submitting the same id again returns the job as it is (idempotent).</summary>
    Task<JobView> SubmitAsync(string user, JobSpec spec);

    /// <summary>The job's view, or null when nothing was ever submitted under this id.</summary>
    Task<JobView?> GetAsync();

    /// <summary>Cancels the job wherever it is; a no-op on a job that already ended.</summary>
    Task<JobView> CancelAsync();

    /// <summary>
    /// An admin gives a waiting (queued) job another priority; null when the job is not waiting, so its priority can
    /// no longer change where it stands.
    /// </summary>
    Task<JobView?> ChangePriorityAsync(JobPriority priority);

    /// <summary>The job's quota slot is free: move on to placement. Sent by the quota grain.</summary>
    [OneWay]
    Task AdmitAsync();

    /// <summary>
    /// The dispatcher reserved room on a worker; a job that no longer wants it gives the room back. One-way: the
    /// dispatcher never waits on a job, since a job waits on the dispatcher when it asks to be placed.
    /// </summary>
    [OneWay]
    Task AssignAsync(string worker, EffectiveLimits limits);

    /// <summary>
    /// The service's admission preempts the job for a waiting higher-priority one (SERVICE_&lt;NAME&gt;_PREEMPTION):
    /// its container is stopped and it waits again (queued, under a new attempt), with <paramref name="reason"/> in its
    /// history. Idempotent; a job that already ended ignores it. With a <paramref name="graceSeconds"/>
    /// (SERVICE_&lt;NAME&gt;_PREEMPTION_GRACE_SECONDS) a running job is first sent SIGTERM, and stopped when it exits or
    /// the grace ends; the grace of the first message counts.
    /// </summary>
    [OneWay]
    Task PreemptAsync(string reason, int graceSeconds = 0);

    /// <summary>
    /// The job's place in its quota queue changed (jobs ahead of it were admitted or cancelled), so watchers are
    /// told its new position and what holds it. Sent by the quota grain, one-way: the job never waits on the quota
    /// grain's reply.
    /// </summary>
    [OneWay]
    Task NoteQueuePositionAsync(Corral.Quotas.QueueWait wait);

    /// <summary>The dispatcher explains why the job still waits for a worker (one that could hold it exists).</summary>
    [OneWay]
    Task NotePendingAsync(string message);

    /// <summary>
    /// The dispatcher found no live worker that could ever hold the job; the message says what is short. The job
    /// fails no_capacity once that has lasted the grace period (NO_CAPACITY_GRACE_SECONDS), unless a note that it
    /// could fit, or a placement, comes first.
    /// </summary>
    [OneWay]
    Task NoteNoCapacityAsync(string message);

    /// <summary>The host agent started the container.</summary>
    Task ReportRunningAsync(string worker, SshEndpoint? ssh);

    /// <summary>The host agent's latest usage counters.</summary>
    [OneWay]
    Task ReportCountersAsync(JobCounters counters);

    /// <summary>The container ended (or could not start). Idempotent; the first outcome wins.</summary>
    Task CompleteAsync(string worker, JobOutcome outcome);

    /// <summary>
    /// Re-drives the job from its persisted status (every step is idempotent). Sent by the job reconciler to
    /// unfinished jobs that have been quiet for a while, which is how a job whose silo crashed is woken again.
    /// </summary>
    [OneWay]
    Task ReconcileAsync();
}
