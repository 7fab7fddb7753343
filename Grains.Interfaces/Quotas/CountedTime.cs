namespace Corral.Quotas;

/// <summary>
/// How much of a job's CPU- and GPU-seconds its user's budgets count already: the highest totals it reported while it
/// ran. Kept by the quota grain per job holding a slot, so a later report or the release counts only what is beyond
/// it, and a repeated, stale or lost report never counts anything twice.
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.counted-time")]
public sealed record CountedTime([property: Id(0)] double CpuSeconds, [property: Id(1)] double GpuSeconds)
{
    public static readonly CountedTime None = new(0, 0);
}
