namespace Corral.Quotas;

[GenerateSerializer, Immutable, Alias("corral.quota-usage")]
public sealed record QuotaUsage(
    [property: Id(0)] string Service,
    [property: Id(1)] int Limit,
    [property: Id(2)] int Running,
    [property: Id(3)] int Queued);
