using System.Collections.Immutable;
using System.Globalization;
using Corral.Workers;

namespace Corral.HostAgent.Hardware;

/// <summary>
/// Parses `nvidia-smi --query-gpu=index,uuid,name,memory.total --format=csv,noheader,nounits`:
/// one "0, GPU-uuid, NVIDIA H100 80GB HBM3, 81559" line per device, memory in MiB.
/// Unified-memory devices print "[N/A]" for memory; they get 0 (see GpuMatcher.UsableMemory).
/// </summary>
public static class NvidiaSmiParser
{
    public static ImmutableArray<GpuDevice> Parse(string output)
    {
        var devices = ImmutableArray.CreateBuilder<GpuDevice>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split(',', StringSplitOptions.TrimEntries);
            if (fields.Length != 4 || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                throw new FormatException($"Unexpected GPU line '{line}': want 'index, uuid, name, memoryMiB'.");
            }

            var mebibytes = long.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m : 0;
            devices.Add(new GpuDevice(index, fields[1], fields[2], mebibytes * 1024 * 1024));
        }

        return devices.ToImmutable();
    }
}
