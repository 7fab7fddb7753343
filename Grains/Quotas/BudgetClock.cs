namespace Corral.Quotas;

/// <summary>
/// The clock users' budgets are measured and woken on (<see cref="Scheduling.UsageBudget"/>): its own, so tests move it
/// without moving the clock Orleans runs its timers on.
/// </summary>
public sealed record BudgetClock(TimeProvider Time)
{
    public static readonly BudgetClock System = new(TimeProvider.System);
}
