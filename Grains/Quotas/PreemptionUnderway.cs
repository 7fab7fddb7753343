using Corral.Jobs;

namespace Corral.Quotas;

/// <summary>
/// A running job chosen to make way (the key it is stored under), until it is requeued or ends: its user, and the
/// waiting job its slot is promised to.
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.preemption-underway")]
public sealed record PreemptionUnderway(
    [property: Id(0)] string VictimUser,
    [property: Id(1)] string ForJob,
    [property: Id(2)] string ForUser,
    [property: Id(3)] JobPriority ForPriority);
