using Corral.Quotas;

namespace Corral.Scheduling;

/// <summary>Lets a user start a job while they are within the service's budgets (<see cref="UsageBudget"/>).</summary>
/// <param name="budget">The service's budgets per user.</param>
/// <param name="usage">User to their spending in the service; a user's entry is added when a counted job starts.</param>
/// <param name="now">The time of the decision, on the budgets' clock.</param>
public sealed class BudgetGate(UsageBudget budget, IDictionary<string, BudgetUsage> usage, DateTimeOffset now) : IAdmissionGate
{
    public bool MayStart(string user) => budget.Allows(usage.TryGetValue(user, out var spent) ? spent : null, now);

    public void Started(string user)
    {
        if (budget.JobsPerHour is null)
        {
            return;
        }

        if (!usage.TryGetValue(user, out var spent))
        {
            usage[user] = spent = new BudgetUsage();
        }

        budget.RecordStart(spent, now);
    }
}
