using System.Collections.Immutable;
using Corral.Jobs;

namespace Corral.Workers;

/// <summary>A worker's answer to several reservations: the limits of every job it took, and itself afterwards.</summary>
[GenerateSerializer, Immutable, Alias("corral.reservation-batch")]
public sealed record ReservationBatch(
    [property: Id(0)] ImmutableDictionary<string, EffectiveLimits> Granted,
    [property: Id(1)] WorkerView Worker);
