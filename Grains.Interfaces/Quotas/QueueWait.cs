namespace Corral.Quotas;

/// <summary>Where a waiting job stands in its user's queue for a service (1-based), and what holds it.</summary>
/// <param name="Position">1-based, in the user's queue for the service.</param>
/// <param name="Reason">For the job's view, e.g. "waiting: user quota 5/5" or "waiting: service cap 10/10".</param>
[GenerateSerializer, Immutable, Alias("corral.queue-wait")]
public sealed record QueueWait(
    [property: Id(0)] int Position,
    [property: Id(1)] string Reason);
