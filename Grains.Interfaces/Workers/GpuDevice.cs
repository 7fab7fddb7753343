namespace Corral.Workers;

/// <summary>One GPU of a worker, as its probe reported it (nvidia-smi, or an injected list in tests).</summary>
[GenerateSerializer, Immutable, Alias("corral.gpu-device")]
public sealed record GpuDevice(
    [property: Id(0)] int Index,
    [property: Id(1)] string Id,
    [property: Id(2)] string Name,
    [property: Id(3)] long MemoryBytes);
