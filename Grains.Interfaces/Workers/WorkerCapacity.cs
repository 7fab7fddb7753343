using System.Collections.Immutable;

namespace Corral.Workers;

/// <summary>What a worker host has, from a real probe of the machine.</summary>
[GenerateSerializer, Immutable, Alias("corral.worker-capacity")]
public sealed record WorkerCapacity(
    [property: Id(0)] double Cpu,
    [property: Id(1)] long MemoryBytes,
    [property: Id(2)] ImmutableArray<GpuDevice> Gpus)
{
    /// <summary>Value equality, GPUs included (record equality compares ImmutableArray by reference).</summary>
    public bool IsSameAs(WorkerCapacity other) =>
        Cpu == other.Cpu && MemoryBytes == other.MemoryBytes && Gpus.SequenceEqual(other.Gpus);
}
