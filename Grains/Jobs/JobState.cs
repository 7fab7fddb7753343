namespace Corral.Jobs;

[GenerateSerializer, Alias("corral.job-state")]
public sealed class JobState
{
    [Id(0)] public string? User { get; set; }

    [Id(1)] public JobSpec? Spec { get; set; }

    [Id(2)] public JobStatus Status { get; set; }

    [Id(3)] public TerminationReason? Reason { get; set; }

    [Id(4)] public string? Message { get; set; }

    [Id(5)] public int? ExitCode { get; set; }

    [Id(6)] public string? Worker { get; set; }

    [Id(7)] public DateTimeOffset SubmittedAt { get; set; }

    [Id(8)] public DateTimeOffset? StartedAt { get; set; }

    [Id(9)] public DateTimeOffset? FinishedAt { get; set; }

    [Id(10)] public EffectiveLimits? Limits { get; set; }

    [Id(11)] public JobCounters Counters { get; set; } = new(0, 0, 0);

    [Id(12)] public SshEndpoint? Ssh { get; set; }

    [Id(13)] public List<JobTransition> History { get; set; } = [];

    /// <summary>Set once the quota slot (or queue place) was given back after the job ended.</summary>
    [Id(14)] public bool QuotaReleased { get; set; }

    /// <summary>Set once the worker's reservation was given back after the job ended.</summary>
    [Id(15)] public bool WorkerReleased { get; set; }

    /// <summary>Which attempt the job is on (1-based; 0 in states written before retries, read as 1).</summary>
    [Id(16)] public int Attempt { get; set; }

    /// <summary>
    /// Since when the dispatcher has found no live worker that could ever hold this pending job; null while one could.
    /// Persisted, so the grace period (NO_CAPACITY_GRACE_SECONDS) runs on across a silo restart.
    /// </summary>
    [Id(17)] public DateTimeOffset? UnplaceableSince { get; set; }

    /// <summary>
    /// The worker a preempted attempt ran on, until its container was told to stop and its room given back; null
    /// otherwise. Kept apart from <see cref="Worker"/>, which the next attempt's placement sets.
    /// </summary>
    [Id(18)] public string? StopOnWorker { get; set; }

    /// <summary>How many times the job was preempted and requeued (SERVICE_&lt;NAME&gt;_PREEMPTION).</summary>
    [Id(19)] public int Preemptions { get; set; }

    /// <summary>
    /// The maxDurationSeconds the job asked for (0: none), kept to settle its limit again when it is admitted, by the
    /// service's limits then in force. Null in states written before it was kept: their settled limit is taken as the ask.
    /// </summary>
    [Id(20)] public int? AskedMaxDurationSeconds { get; set; }

    /// <summary>
    /// Whether the service's limits in force at admission (settings and an admin's overrides) set a CPU- or
    /// GPU-seconds budget, so the job reports its time to its quota while it runs; null: admitted before this was kept
    /// (the settings decide).
    /// </summary>
    [Id(21)] public bool? BudgetCountsTime { get; set; }

    /// <summary>
    /// When a running job warned of its preemption (SERVICE_&lt;NAME&gt;_PREEMPTION_GRACE_SECONDS) is stopped if it has
    /// not stopped by itself; null outside a grace. Cleared with the attempt.
    /// </summary>
    [Id(22)] public DateTimeOffset? PreemptStopAt { get; set; }

    /// <summary>The preemption's reason, for the job's history when it is requeued at the grace's end.</summary>
    [Id(23)] public string? PreemptReason { get; set; }

    /// <summary>
    /// Until it ended and gave back its slot and its room, a job may need waking after a crash: written to the job's
    /// row in the job index (<see cref="IJobIndex"/>), where the job reconciler looks for it.
    /// </summary>
    public bool NeedsReconciling =>
        Spec is not null && !(JobStateMachine.IsTerminal(Status) && QuotaReleased && WorkerReleased && StopOnWorker is null);
}
