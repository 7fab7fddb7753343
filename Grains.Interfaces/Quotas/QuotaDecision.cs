namespace Corral.Quotas;

/// <summary>Whether a job holds a run slot now, or where it waits in its (user, service) queue (1-based).</summary>
[GenerateSerializer, Immutable, Alias("corral.quota-decision")]
public sealed record QuotaDecision(
    [property: Id(0)] bool Admitted,
    [property: Id(1)] int? QueuePosition);
