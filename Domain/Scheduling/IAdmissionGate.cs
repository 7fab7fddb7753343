namespace Corral.Scheduling;

/// <summary>What besides slots decides whether a user may start another job (their budgets: <see cref="BudgetGate"/>).</summary>
public interface IAdmissionGate
{
    bool MayStart(string user);

    /// <summary>A job of the user was admitted: counted before the next <see cref="MayStart"/>.</summary>
    void Started(string user);
}
