using System.Collections.Immutable;

namespace Corral.Workers;

/// <summary>
/// What a worker host has, from a real probe of the machine. <see cref="Pids"/>: the processes jobs may hold
/// together, the machine's pids limit less the reserve kept for the agent, the engine and iptables
/// (WORKER_PIDS_RESERVE); 0 means not probed (a registration from before pids were counted), and is not counted.
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.worker-capacity")]
public sealed record WorkerCapacity(
    [property: Id(0)] double Cpu,
    [property: Id(1)] long MemoryBytes,
    [property: Id(2)] ImmutableArray<GpuDevice> Gpus,
    [property: Id(3)] long Pids = 0)
{
    /// <summary>Whether jobs' pids limits are counted against <see cref="Pids"/>.</summary>
    public bool CountsPids => Pids > 0;

    /// <summary>Value equality, GPUs included (record equality compares ImmutableArray by reference).</summary>
    public bool IsSameAs(WorkerCapacity other) =>
        Cpu == other.Cpu && MemoryBytes == other.MemoryBytes && Pids == other.Pids && Gpus.SequenceEqual(other.Gpus);
}
