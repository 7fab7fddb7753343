using System.Collections.Immutable;

namespace Corral.Jobs;

/// <summary>The caps actually applied to a job's container: min(request, operator cap), defaults filled in.</summary>
[GenerateSerializer, Immutable, Alias("corral.effective-limits")]
public sealed record EffectiveLimits(
    [property: Id(0)] double Cpu,
    [property: Id(1)] long MemoryBytes,
    [property: Id(2)] int Pids,
    [property: Id(3)] ImmutableArray<string> Gpus,
    [property: Id(4)] string? CudaVisibleDevices);
