namespace Corral.Quotas;

/// <summary>
/// One user's figures for one service: their own limit, running and queued jobs; for a service with a cap
/// (SERVICE_&lt;NAME&gt;_MAX_RUNS), the cap and the jobs running across all users, else null; each budget the service
/// sets and how much of it the user has spent (null when it sets none).
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.quota-usage")]
public sealed record QuotaUsage(
    [property: Id(0)] string Service,
    [property: Id(1)] int Limit,
    [property: Id(2)] int Running,
    [property: Id(3)] int Queued,
    [property: Id(4)] int? ServiceLimit = null,
    [property: Id(5)] int? ServiceRunning = null,
    [property: Id(6)] IReadOnlyList<BudgetFigure>? Budgets = null);
