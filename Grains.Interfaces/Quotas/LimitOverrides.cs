namespace Corral.Quotas;

/// <summary>
/// Limits of a capped service set at run time by an admin (PUT /api/quotas/services/{service}); a null field keeps the
/// setting's value (SERVICE_&lt;NAME&gt;_RUNS_PER_USER, SERVICE_&lt;NAME&gt;_MAX_RUNS, SERVICE_&lt;NAME&gt;_PREEMPTION).
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.limit-overrides")]
public sealed record LimitOverrides(
    [property: Id(0)] int? RunsPerUser = null,
    [property: Id(1)] int? MaxRuns = null,
    [property: Id(20)] bool? Preemption = null)
{
    public bool IsEmpty => RunsPerUser is null && MaxRuns is null && Preemption is null;
}
