namespace Corral.Quotas;

/// <summary>A user's decayed CPU-seconds in a service (<see cref="Scheduling.UsageDecay"/>), true at <see cref="AsOf"/>.</summary>
[GenerateSerializer, Immutable, Alias("corral.usage-record")]
public sealed record UsageRecord([property: Id(0)] double CpuSeconds, [property: Id(1)] DateTimeOffset AsOf);
