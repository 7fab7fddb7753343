namespace Corral.Quotas;

/// <summary>
/// What a user spent of one budget in the bucket of time starting at <see cref="Start"/> (a job started, CPU- or
/// GPU-seconds measured); see <see cref="BudgetUsage"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.usage-bucket")]
public sealed record UsageBucket([property: Id(0)] DateTimeOffset Start, [property: Id(1)] double Amount);
