namespace Corral.Scheduling;

/// <summary>How a capped service picks the waiting user who gets a freed slot (SERVICE_&lt;NAME&gt;_FAIRNESS).</summary>
public enum Fairness
{
    /// <summary>The user with the least recent CPU use (<see cref="UsageDecay"/>), then fewest held, then longest wait.</summary>
    Usage,

    /// <summary>The user holding fewest slots, then longest wait: two flooding users alternate.</summary>
    RoundRobin,
}

/// <summary>The words SERVICE_&lt;NAME&gt;_FAIRNESS, and its run-time override, spell a fairness with.</summary>
public static class FairnessWords
{
    /// <summary>The values the setting may take, as an error names them.</summary>
    public const string Choices = "'usage' or 'round_robin'";

    /// <summary>A fairness by its word (any case, around blanks), or null for any other.</summary>
    public static Fairness? Parse(string value) => value.Trim().ToLowerInvariant() switch
    {
        "usage" => Fairness.Usage,
        "round_robin" => Fairness.RoundRobin,
        _ => null,
    };

    public static string Of(Fairness fairness) => fairness == Fairness.RoundRobin ? "round_robin" : "usage";
}
