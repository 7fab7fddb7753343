namespace Corral.Quotas;

/// <summary>
/// How much of one budget a user has spent in its sliding window: <c>jobs</c> per <c>hour</c>, or
/// <c>cpu-seconds</c> / <c>gpu-seconds</c> per <c>day</c> (SERVICE_&lt;NAME&gt;_..._PER_USER_PER_...).
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.budget-figure")]
public sealed record BudgetFigure(
    [property: Id(0)] string Budget,
    [property: Id(1)] double Spent,
    [property: Id(2)] int Limit,
    [property: Id(3)] string Per);
