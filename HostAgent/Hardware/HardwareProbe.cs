using System.Collections.Immutable;
using System.Diagnostics;
using Corral.Workers;

namespace Corral.HostAgent.Hardware;

/// <summary>
/// Reads the machine's real capacity: CPUs, memory from /proc/meminfo, and GPUs from nvidia-smi when it is
/// installed. CORRAL_GPU_DEVICES replaces the GPU list, for machines without a GPU in tests.
/// </summary>
public static class HardwareProbe
{
    public static async Task<WorkerCapacity> ProbeAsync(string? injectedGpus, CancellationToken cancellationToken)
    {
        var gpus = injectedGpus is not null
            ? NvidiaSmiParser.Parse(injectedGpus.Replace(';', '\n'))
            : await QueryNvidiaSmiAsync(cancellationToken);
        return new WorkerCapacity(Environment.ProcessorCount, ReadTotalMemory(), gpus);
    }

    private static long ReadTotalMemory()
    {
        foreach (var line in File.ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
            {
                var kib = line["MemTotal:".Length..].Trim().Split(' ')[0];
                return long.Parse(kib, System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException("/proc/meminfo has no MemTotal line.");
    }

    private static async Task<ImmutableArray<GpuDevice>> QueryNvidiaSmiAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("nvidia-smi", ["--query-gpu=index,uuid,name,memory.total", "--format=csv,noheader,nounits"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        try
        {
            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return process.ExitCode == 0 ? NvidiaSmiParser.Parse(output) : [];
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No nvidia-smi: a machine without NVIDIA GPUs.
            return [];
        }
    }
}
