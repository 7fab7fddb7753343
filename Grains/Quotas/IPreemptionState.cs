namespace Corral.Quotas;

/// <summary>
/// What a quota grain's state keeps for preemption (<see cref="PreemptionLedger"/>): the same in a capped service's
/// one grain and in each user's grain of a service without a cap.
/// </summary>
public interface IPreemptionState
{
    /// <summary>Job id to what preemption weighs of it (<see cref="AdmittedJob"/>), for each job holding a slot.</summary>
    Dictionary<string, AdmittedJob> Admitted { get; }

    /// <summary>The number the next admitted job gets in <see cref="Admitted"/>.</summary>
    long NextAdmission { get; set; }

    /// <summary>Victim job id to the preemption under way (SERVICE_&lt;NAME&gt;_PREEMPTION); it keeps its slot until requeued.</summary>
    Dictionary<string, PreemptionUnderway> Preempting { get; }
}
