using System.Collections.Immutable;
using Corral.Jobs;

namespace Corral.Workers;

/// <summary>What a worker's reservations add up to, as its view reports it.</summary>
internal sealed record ReservedRoom(double Cpu, long MemoryBytes, long Pids, ImmutableArray<string> GpuIds, ImmutableArray<string> Jobs)
{
    public static ReservedRoom Of(Dictionary<string, EffectiveLimits> allocations)
    {
        double cpu = 0;
        long memory = 0, pids = 0;
        var gpus = new HashSet<string>(StringComparer.Ordinal);
        foreach (var limits in allocations.Values)
        {
            cpu += limits.Cpu;
            memory += limits.MemoryBytes;
            pids += limits.Pids;
            // Allocations persisted before ReservedGpus existed hold what they see.
            gpus.UnionWith(limits.ReservedGpus.IsDefault ? limits.Gpus : limits.ReservedGpus);
        }

        return new ReservedRoom(cpu, memory, pids, [.. gpus], [.. allocations.Keys.Order(StringComparer.Ordinal)]);
    }
}
