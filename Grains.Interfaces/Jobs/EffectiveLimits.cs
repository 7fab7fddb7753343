using System.Collections.Immutable;

namespace Corral.Jobs;

/// <summary>
/// The caps actually applied to a job's container: min(request, operator cap), defaults filled in.
/// <paramref name="Gpus"/> are the host device IDs the container gets, seen inside as
/// <paramref name="CudaVisibleDevices"/> (0..N-1). <paramref name="ReservedGpus"/> are the devices held for this
/// job alone: the same, except for an SSH session on a worker without ENABLE_SSH_GPU_LIMIT, which sees every GPU
/// but holds only those it asked for, so the others stay free for other jobs.
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.effective-limits")]
public sealed record EffectiveLimits(
    [property: Id(0)] double Cpu,
    [property: Id(1)] long MemoryBytes,
    [property: Id(2)] int Pids,
    [property: Id(3)] ImmutableArray<string> Gpus,
    [property: Id(4)] string? CudaVisibleDevices,
    [property: Id(5)] ImmutableArray<string> ReservedGpus);
