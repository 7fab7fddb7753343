using Corral.Jobs;

namespace Corral.Quotas;

/// <summary>
/// What a quota grain remembers of a job holding a slot, for preemption: its priority, the order it was admitted in,
/// and its arrival number (<see cref="Scheduling.WaitingJob.Seq"/>), which it keeps when it is requeued.
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.admitted-job")]
public sealed record AdmittedJob(
    [property: Id(0)] JobPriority Priority,
    [property: Id(1)] long Admission,
    [property: Id(2)] long Seq);
