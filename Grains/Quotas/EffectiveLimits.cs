using Corral.Scheduling;

namespace Corral.Quotas;

/// <summary>
/// What a service admits by: an admin's run-time override (<see cref="LimitOverrides"/>) where one is set, else the
/// settings. Shared by the service's grain, each user's grain of a service without a cap, and the job that settles
/// its maximum duration.
/// </summary>
public static class EffectiveLimits
{
    public static int RunsPerUser(QuotaOptions options, string service, LimitOverrides? overrides) =>
        overrides?.RunsPerUser ?? options.LimitFor(service);

    /// <summary>Whether waiting high-priority jobs may preempt (SERVICE_&lt;NAME&gt;_PREEMPTION, or an admin's switch).</summary>
    public static bool Preemption(QuotaOptions options, string service, LimitOverrides? overrides) =>
        overrides?.Preemption ?? options.PreemptionFor(service);

    /// <summary>How long a running job chosen for preemption has between SIGTERM and its stop (none: 0).</summary>
    public static int PreemptionGraceSeconds(QuotaOptions options, string service, LimitOverrides? overrides) =>
        overrides?.PreemptionGraceSeconds ?? (int)options.PreemptionGraceFor(service).TotalSeconds;

    public static UsageBudget Budget(QuotaOptions options, string service, LimitOverrides? overrides)
    {
        var settings = options.BudgetFor(service);
        return new UsageBudget(
            overrides?.JobsPerHour ?? settings.JobsPerHour,
            overrides?.CpuSecondsPerDay ?? settings.CpuSecondsPerDay,
            overrides?.GpuSecondsPerDay ?? settings.GpuSecondsPerDay);
    }

    public static int? DefaultDuration(QuotaOptions options, string service, LimitOverrides? overrides) =>
        overrides?.DefaultDurationSeconds ?? options.DefaultDurationFor(service);

    public static int? DurationCeiling(QuotaOptions options, string service, LimitOverrides? overrides) =>
        overrides?.MaxDurationSeconds ?? options.DurationCeilingFor(service);

    /// <summary>The maximum duration a job that asked for <paramref name="requested"/> runs under (<see cref="QuotaOptions.SettleDuration"/>).</summary>
    public static int? MaxDuration(QuotaOptions options, string service, int? requested, LimitOverrides? overrides) =>
        QuotaOptions.SettleDuration(requested, DefaultDuration(options, service, overrides), DurationCeiling(options, service, overrides));

    public static Fairness FairnessOf(QuotaOptions options, string service, LimitOverrides? overrides) =>
        overrides?.Fairness is { } word && FairnessWords.Parse(word) is { } fairness ? fairness : options.FairnessFor(service);

    public static TimeSpan HalfLife(QuotaOptions options, string service, LimitOverrides? overrides) =>
        overrides?.FairShareHalfLifeSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : options.HalfLifeFor(service);

    /// <summary>
    /// Why <paramref name="overrides"/> cannot apply to the service, as (field, problem), or null when they can: a cap,
    /// burst or fairness on a service without a cap (turning a cap on would move its admission state, and the others
    /// weigh every user's jobs at once, which only a cap's grain sees; preemption there works within each user's quota); a default duration above the
    /// ceiling, each taken from the override or else the setting, as the variables are checked at start.
    /// </summary>
    public static (string Field, string Problem)? Refusal(QuotaOptions options, string service, LimitOverrides? overrides)
    {
        if (overrides is null)
        {
            return null;
        }

        var name = QuotaOptions.VariableName(service);
        if (options.MaxRunsFor(service) is null && CappedOnly(overrides) is { } field)
        {
            return (field, $"'{service}' has no cap (SERVICE_{name}_MAX_RUNS): a cap, a burst and fairness between users apply only to a service started with a cap; its runsPerUser, budgets, durations and preemption (within each user's own quota) can change");
        }

        var fallback = DefaultDuration(options, service, overrides);
        var ceiling = DurationCeiling(options, service, overrides);
        if (QuotaOptions.DefaultAboveCeiling(fallback, ceiling))
        {
            return overrides.DefaultDurationSeconds is not null
                ? ("defaultDurationSeconds", $"{fallback} is more than the service's maximum duration, {ceiling} ({Source(overrides.MaxDurationSeconds, $"SERVICE_{name}_MAX_DURATION_SECONDS")})")
                : ("maxDurationSeconds", $"{ceiling} is less than the service's default duration, {fallback} (SERVICE_{name}_DEFAULT_DURATION_SECONDS)");
        }

        return null;
    }

    private static string? CappedOnly(LimitOverrides overrides) =>
        overrides.MaxRuns is not null ? "maxRuns"
        : overrides.BurstPerUser is not null ? "burstPerUser"
        : overrides.Fairness is not null ? "fairness"
        : overrides.FairShareHalfLifeSeconds is not null ? "fairShareHalfLifeSeconds"
        : null;

    private static string Source(int? overridden, string variable) => overridden is null ? variable : "this change";
}
