namespace Corral.Quotas;

/// <summary>
/// The limits a service admits by now, each with where it comes from; a budget or duration without a setting or
/// override is null (none), and so are the cap, the burst, preemption and fairness of a service without a cap.
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.service-limits")]
public sealed record ServiceLimits(
    [property: Id(0)] string Service,
    [property: Id(1)] EffectiveLimit RunsPerUser,
    [property: Id(2)] EffectiveLimit? MaxRuns,
    [property: Id(3)] EffectiveLimit? BurstPerUser = null,
    [property: Id(4)] EffectiveLimit? JobsPerHour = null,
    [property: Id(5)] EffectiveLimit? CpuSecondsPerDay = null,
    [property: Id(6)] EffectiveLimit? GpuSecondsPerDay = null,
    [property: Id(20)] EffectiveSwitch? Preemption = null,
    [property: Id(7)] EffectiveLimit? DefaultDurationSeconds = null,
    [property: Id(8)] EffectiveLimit? MaxDurationSeconds = null,
    [property: Id(9)] EffectiveChoice? Fairness = null,
    [property: Id(10)] EffectiveLimit? FairShareHalfLifeSeconds = null,
    [property: Id(11)] EffectiveLimit? PreemptionGraceSeconds = null);

/// <summary>
/// A limit's value and its source: <c>override</c> (set through the API), the environment variable that set it, or
/// <c>default</c>.
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.effective-limit")]
public sealed record EffectiveLimit([property: Id(0)] int Value, [property: Id(1)] string Source);

/// <summary>An on/off setting's value and its source, as <see cref="EffectiveLimit"/>.</summary>
[GenerateSerializer, Immutable, Alias("corral.effective-switch")]
public sealed record EffectiveSwitch([property: Id(0)] bool Value, [property: Id(1)] string Source);

/// <summary>A setting with named values (such as fairness: <c>usage</c>) and its source, as <see cref="EffectiveLimit"/>.</summary>
[GenerateSerializer, Immutable, Alias("corral.effective-choice")]
public sealed record EffectiveChoice([property: Id(0)] string Value, [property: Id(1)] string Source);

/// <summary>
/// What a change of a service's limits came to: the limits now, or (nothing changed) the field that was refused and
/// why, as a 400 names it.
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.limits-change")]
public sealed record LimitsChange(
    [property: Id(0)] ServiceLimits? Limits,
    [property: Id(1)] string? RefusedField = null,
    [property: Id(2)] string? Problem = null);
