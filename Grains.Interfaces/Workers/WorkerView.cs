using System.Collections.Immutable;
using Corral.Jobs;

namespace Corral.Workers;

/// <summary>
/// A worker as the dispatcher and admins see it: capacity, what is reserved, and liveness.
/// <paramref name="SshGpuLimit"/>: SSH sessions there get only the GPUs they asked for (ENABLE_SSH_GPU_LIMIT).
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.worker-view")]
public sealed record WorkerView(
    [property: Id(0)] string Name,
    [property: Id(1)] WorkerCapacity Capacity,
    [property: Id(2)] SshCaps SshCaps,
    [property: Id(3)] double AllocatedCpu,
    [property: Id(4)] long AllocatedMemoryBytes,
    [property: Id(5)] ImmutableArray<string> AllocatedGpuIds,
    [property: Id(6)] ImmutableArray<string> Jobs,
    [property: Id(7)] bool Alive,
    [property: Id(8)] DateTimeOffset? LastHeartbeat,
    [property: Id(9)] ImmutableArray<string> Images,
    [property: Id(10)] string Address,
    [property: Id(11)] bool SshGpuLimit = false,
    [property: Id(12)] bool Draining = false,
    [property: Id(13)] long AllocatedPids = 0)
{
    /// <summary>Whether new jobs may be placed here: alive and not drained by an admin.</summary>
    public bool AcceptsJobs => Alive && !Draining;

    public double FreeCpu => Capacity.Cpu - AllocatedCpu;

    public long FreeMemoryBytes => Capacity.MemoryBytes - AllocatedMemoryBytes;

    /// <summary>Pids not promised to a job's pids limit (meaningful where <see cref="WorkerCapacity.CountsPids"/>).</summary>
    public long FreePids => Capacity.Pids - AllocatedPids;

    public ImmutableArray<GpuDevice> FreeGpus =>
        [.. Capacity.Gpus.Where(g => !AllocatedGpuIds.Contains(g.Id))];

    /// <summary>
    /// The same worker with one more job's room reserved: what <see cref="IWorkerGrain"/> would report after that
    /// reservation, as far as placement checks go (free CPU, memory, pids and GPUs).
    /// </summary>
    public WorkerView WithReservation(string jobId, EffectiveLimits limits) => this with
    {
        AllocatedCpu = AllocatedCpu + limits.Cpu,
        AllocatedMemoryBytes = AllocatedMemoryBytes + limits.MemoryBytes,
        AllocatedPids = AllocatedPids + limits.Pids,
        // Held devices, as the worker grain counts them (an unsliced SSH session sees more than it holds).
        AllocatedGpuIds = [.. AllocatedGpuIds.Union(limits.ReservedGpus.IsDefault ? limits.Gpus : limits.ReservedGpus)],
        Jobs = Jobs.Add(jobId),
    };

    /// <summary>The same worker with nothing reserved: what it could hold at best.</summary>
    public WorkerView WithNothingAllocated() => this with { AllocatedCpu = 0, AllocatedMemoryBytes = 0, AllocatedGpuIds = [], AllocatedPids = 0 };
}
