namespace Corral.Jobs;

/// <summary>Usage a host agent reports while a job runs.</summary>
[GenerateSerializer, Immutable, Alias("corral.job-counters")]
public sealed record JobCounters(
    [property: Id(0)] long LogBytesThisHour,
    [property: Id(1)] long LogBytesTotal,
    [property: Id(2)] long EgressBytes,
    [property: Id(3)] double CpuSeconds = 0);
