namespace Corral.Scheduling;

/// <summary>How a capped service picks the waiting user who gets a freed slot (SERVICE_&lt;NAME&gt;_FAIRNESS).</summary>
public enum Fairness
{
    /// <summary>The user with the least recent CPU use (<see cref="UsageDecay"/>), then fewest held, then longest wait.</summary>
    Usage,

    /// <summary>The user holding fewest slots, then longest wait: two flooding users alternate.</summary>
    RoundRobin,
}
