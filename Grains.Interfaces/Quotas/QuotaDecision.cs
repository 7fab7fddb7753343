namespace Corral.Quotas;

/// <summary>
/// Whether a job holds a run slot now, or where it waits in its (user, service) queue (1-based) and what holds it,
/// so the job can show its wait without asking again. Either answer also hands the job the service's run-time
/// overrides (null: none), so it settles its maximum duration by the limits in force (when it takes its slot, and
/// already while it waits, for its view) without a call of its own.
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.quota-decision")]
public sealed record QuotaDecision(
    [property: Id(0)] bool Admitted,
    [property: Id(1)] int? QueuePosition,
    [property: Id(2)] string? WaitReason = null,
    [property: Id(3)] LimitOverrides? Overrides = null)
{
    /// <summary>The wait as a job's view shows it; null when admitted (or no longer waiting).</summary>
    public QueueWait? Wait => QueuePosition is { } position && WaitReason is { } reason ? new QueueWait(position, reason) : null;

    /// <summary>Holding a slot, under the service's overrides (null: none).</summary>
    public static QuotaDecision Admit(LimitOverrides? overrides) => new(true, null, Overrides: overrides);

    /// <summary>Waiting at a place (null: no longer waiting) for a reason, under the service's overrides.</summary>
    public static QuotaDecision Waiting(int? position, string? reason, LimitOverrides? overrides) =>
        new(false, position, reason, overrides);
}
