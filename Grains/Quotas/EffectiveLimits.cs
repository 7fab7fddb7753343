using Corral.Scheduling;

namespace Corral.Quotas;

/// <summary>
/// What a service admits by: an admin's run-time override (<see cref="LimitOverrides"/>) where one is set, else the
/// settings. Shared by the service's grain and, for a service without a cap, each user's grain.
/// </summary>
public static class EffectiveLimits
{
    public static int RunsPerUser(QuotaOptions options, string service, LimitOverrides? overrides) =>
        overrides?.RunsPerUser ?? options.LimitFor(service);

    /// <summary>Whether waiting high-priority jobs may preempt (SERVICE_&lt;NAME&gt;_PREEMPTION, or an admin's switch).</summary>
    public static bool Preemption(QuotaOptions options, string service, LimitOverrides? overrides) =>
        overrides?.Preemption ?? options.PreemptionFor(service);

    public static UsageBudget Budget(QuotaOptions options, string service, LimitOverrides? overrides)
    {
        var settings = options.BudgetFor(service);
        return new UsageBudget(
            overrides?.JobsPerHour ?? settings.JobsPerHour,
            overrides?.CpuSecondsPerDay ?? settings.CpuSecondsPerDay,
            overrides?.GpuSecondsPerDay ?? settings.GpuSecondsPerDay);
    }
}
