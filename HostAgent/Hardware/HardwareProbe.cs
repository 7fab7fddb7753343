using System.Collections.Immutable;
using System.Diagnostics;
using Corral.Configuration;
using Corral.Resources;
using Corral.Workers;

namespace Corral.HostAgent.Hardware;

/// <summary>
/// Reads the machine's real capacity: CPUs, memory from /proc/meminfo, GPUs from nvidia-smi when it is
/// installed, and the pids jobs may hold (<see cref="PidsBudget"/>). CORRAL_GPU_DEVICES replaces the GPU list, for
/// machines without a GPU in tests.
/// </summary>
public static class HardwareProbe
{
    /// <summary>
    /// Where the machine's pids limit is read: the kernel's, and the pids.max of the cgroups the engine puts
    /// containers under (systemd's system.slice, cgroupfs's docker; v2 and v1 layouts). Absent files set no limit.
    /// </summary>
    private static readonly string[] PidsLimitFiles =
    [
        "/proc/sys/kernel/pid_max",
        "/proc/sys/kernel/threads-max",
        "/sys/fs/cgroup/system.slice/pids.max",
        "/sys/fs/cgroup/docker/pids.max",
        "/sys/fs/cgroup/pids/system.slice/pids.max",
        "/sys/fs/cgroup/pids/docker/pids.max",
    ];

    public static async Task<WorkerCapacity> ProbeAsync(string? injectedGpus, SettingsReader settings, CancellationToken cancellationToken)
    {
        var gpus = injectedGpus is not null
            ? NvidiaSmiParser.Parse(injectedGpus.Replace(';', '\n'))
            : await QueryNvidiaSmiAsync(cancellationToken);
        var machinePids = PidsBudget.MachineLimit(PidsLimitFiles.Select(ReadIfPresent));
        // A machine whose limit cannot be read counts no pids (0), as before pids were counted.
        var pids = machinePids is { } limit ? PidsBudget.ForJobs(limit, settings) : 0;
        return new WorkerCapacity(Environment.ProcessorCount, ReadTotalMemory(), gpus, pids);
    }

    private static string? ReadIfPresent(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
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
