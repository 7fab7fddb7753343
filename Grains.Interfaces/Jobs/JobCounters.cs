namespace Corral.Jobs;

/// <summary>Usage a host agent reports while a job runs.</summary>
[GenerateSerializer, Immutable, Alias("corral.job-counters")]
public sealed record JobCounters(
    [property: Id(0)] long LogBytesThisHour,
    [property: Id(1)] long LogBytesTotal,
    [property: Id(2)] long EgressBytes,
    [property: Id(3)] double CpuSeconds = 0)
{
    /// <summary>
    /// These figures after a later report: totals never go backwards (reports can overtake each other, and an agent
    /// that restarted counts on from what is stored); the hour's bytes are the later report's, since they restart
    /// with each hour.
    /// </summary>
    public JobCounters Then(JobCounters later) =>
        new(later.LogBytesThisHour, Math.Max(LogBytesTotal, later.LogBytesTotal), Math.Max(EgressBytes, later.EgressBytes),
            Math.Max(CpuSeconds, later.CpuSeconds));
}
