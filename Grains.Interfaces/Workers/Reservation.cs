using Corral.Jobs;

namespace Corral.Workers;

/// <summary>The answer of a worker to "can you take this job?": the limits it will apply, or why not.</summary>
[GenerateSerializer, Immutable, Alias("corral.reservation")]
public sealed record Reservation(
    [property: Id(0)] bool Granted,
    [property: Id(1)] EffectiveLimits? Limits,
    [property: Id(2)] string? Shortfall,
    [property: Id(3)] WorkerView Worker);
