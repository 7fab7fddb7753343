namespace Corral.Jobs;

/// <summary>GPUs a job asks for: how many, optionally of which model and with at least how much memory each.</summary>
[GenerateSerializer, Immutable, Alias("corral.gpu-request")]
public sealed record GpuRequest(
    [property: Id(0)] int Count,
    [property: Id(1)] string? Type,
    [property: Id(2)] long? MemoryBytes);
