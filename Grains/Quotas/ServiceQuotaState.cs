namespace Corral.Quotas;

/// <summary>
/// The admission state of a service with a cap (see <see cref="Scheduling.FairAdmission"/>); its waiting jobs are
/// rows of their own (<see cref="IWaitingJobStore"/>).
/// </summary>
[GenerateSerializer, Alias("corral.service-quota-state")]
public sealed class ServiceQuotaState : IPreemptionState
{
    /// <summary>User to the jobs holding a slot, from admission until they end; users with none are absent.</summary>
    [Id(0)] public Dictionary<string, List<string>> Holders { get; set; } = [];

    /// <summary>
    /// User to their waiting jobs, first in line first, as state written before they had rows of their own kept
    /// them; the grain moves them to rows when it activates, so this is empty in any state it writes.
    /// </summary>
    [Id(1)] public Dictionary<string, List<string>> Queues { get; set; } = [];

    /// <summary>The users with waiting jobs, next in turn first.</summary>
    [Id(2)] public List<string> Turns { get; set; } = [];

    /// <summary>The priority of each job in <see cref="Queues"/> that is not normal (as old state kept it).</summary>
    [Id(3)] public Dictionary<string, Corral.Jobs.JobPriority> Priorities { get; set; } = [];

    /// <summary>The arrival number the next waiting job gets (<see cref="Scheduling.WaitingJob.Seq"/>).</summary>
    [Id(4)] public long NextSeq { get; set; }

    /// <summary>User to their recent CPU use of the service, added to as each job ends; negligible ones are absent.</summary>
    [Id(5)] public Dictionary<string, UsageRecord> Usage { get; set; } = [];

    /// <summary>Limits an admin set at run time; null fields (or none) keep the settings' values.</summary>
    [Id(6)] public LimitOverrides? Overrides { get; set; }

    /// <summary>
    /// User to their spending counted against the service's budgets (<see cref="Scheduling.UsageBudget"/>), only while
    /// a budget is set; users whose spending has left every window are absent.
    /// </summary>
    [Id(10)] public Dictionary<string, BudgetUsage> Budgets { get; set; } = [];

    /// <summary>
    /// Job id to what of its time <see cref="Budgets"/> count already, for each job holding a slot that reported some
    /// while it ran (<see cref="IServiceQuotaGrain.NoteRunningTimeAsync"/>); dropped at its release.
    /// </summary>
    [Id(11)] public Dictionary<string, CountedTime> Counted { get; set; } = [];

    // Ids from 20 on: preemption's.

    /// <inheritdoc/>
    [Id(20)] public Dictionary<string, AdmittedJob> Admitted { get; set; } = [];

    /// <inheritdoc/>
    [Id(21)] public long NextAdmission { get; set; }

    /// <inheritdoc/>
    [Id(22)] public Dictionary<string, PreemptionUnderway> Preempting { get; set; } = [];
}
