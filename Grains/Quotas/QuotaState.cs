namespace Corral.Quotas;

/// <summary>A user's quota on a service; its waiting jobs are rows of their own (<see cref="IWaitingJobStore"/>).</summary>
[GenerateSerializer, Alias("corral.quota-state")]
public sealed class QuotaState : IPreemptionState
{
    /// <summary>
    /// The waiting jobs, first in line first, as state written before they had rows of their own kept them; the
    /// grain moves them to rows when it activates, so this is empty in any state it writes.
    /// </summary>
    [Id(0)] public List<string> Queue { get; set; } = [];

    /// <summary>Jobs holding a slot, from admission until they end.</summary>
    [Id(1)] public List<string> Holders { get; set; } = [];

    /// <summary>The priority of each job in <see cref="Queue"/> that is not normal (as old state kept it).</summary>
    [Id(2)] public Dictionary<string, Corral.Jobs.JobPriority> Priorities { get; set; } = [];

    /// <summary>The arrival number the next waiting job gets (<see cref="Scheduling.WaitingJob.Seq"/>).</summary>
    [Id(3)] public long NextSeq { get; set; }

    /// <summary>The user's spending counted against the service's budgets (<see cref="Scheduling.UsageBudget"/>), only while one is set.</summary>
    [Id(4)] public BudgetUsage Budget { get; set; } = new();

    /// <summary>
    /// Job id to what of its time <see cref="Budget"/> counts already, for each job holding a slot that reported some
    /// while it ran (<see cref="IQuotaGrain.NoteRunningTimeAsync"/>); dropped at its release.
    /// </summary>
    [Id(5)] public Dictionary<string, CountedTime> Counted { get; set; } = [];

    // Ids from 20 on: preemption's (SERVICE_<NAME>_PREEMPTION within the user's own quota).

    /// <inheritdoc/>
    [Id(20)] public Dictionary<string, AdmittedJob> Admitted { get; set; } = [];

    /// <inheritdoc/>
    [Id(21)] public long NextAdmission { get; set; }

    /// <inheritdoc/>
    [Id(22)] public Dictionary<string, PreemptionUnderway> Preempting { get; set; } = [];
}
