namespace Corral.Quotas;

/// <summary>
/// Limits of a service set at run time by an admin (PUT /api/quotas/services/{service}); a null field keeps the
/// setting's value (SERVICE_&lt;NAME&gt;_RUNS_PER_USER, _MAX_RUNS, _BURST_PER_USER, _JOBS_PER_USER_PER_HOUR,
/// _CPU_SECONDS_PER_USER_PER_DAY, _GPU_SECONDS_PER_USER_PER_DAY, _DEFAULT_DURATION_SECONDS, _MAX_DURATION_SECONDS,
/// _FAIRNESS, _FAIR_SHARE_HALF_LIFE_SECONDS, _PREEMPTION, _PREEMPTION_GRACE_SECONDS). <see cref="Fairness"/> is the setting's word:
/// <c>usage</c> or <c>round_robin</c>.
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.limit-overrides")]
public sealed record LimitOverrides(
    [property: Id(0)] int? RunsPerUser = null,
    [property: Id(1)] int? MaxRuns = null,
    [property: Id(2)] int? BurstPerUser = null,
    [property: Id(3)] int? JobsPerHour = null,
    [property: Id(4)] int? CpuSecondsPerDay = null,
    [property: Id(5)] int? GpuSecondsPerDay = null,
    [property: Id(20)] bool? Preemption = null,
    [property: Id(6)] int? DefaultDurationSeconds = null,
    [property: Id(7)] int? MaxDurationSeconds = null,
    [property: Id(8)] string? Fairness = null,
    [property: Id(9)] int? FairShareHalfLifeSeconds = null,
    [property: Id(10)] int? PreemptionGraceSeconds = null)
{
    /// <summary>The most a preemption grace may be (SERVICE_&lt;NAME&gt;_PREEMPTION_GRACE_SECONDS or an override): an hour.</summary>
    public const int MaxPreemptionGraceSeconds = 3600;

    public bool IsEmpty =>
        RunsPerUser is null && MaxRuns is null && BurstPerUser is null && JobsPerHour is null && CpuSecondsPerDay is null
        && GpuSecondsPerDay is null && Preemption is null && !SetsDurations && Fairness is null && FairShareHalfLifeSeconds is null
        && PreemptionGraceSeconds is null;

    /// <summary>Whether a job's maximum duration is decided differently from the settings.</summary>
    public bool SetsDurations => DefaultDurationSeconds is not null || MaxDurationSeconds is not null;
}
