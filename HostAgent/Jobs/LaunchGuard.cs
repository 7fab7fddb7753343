using System.Collections.Immutable;
using System.Globalization;
using Corral.Hosting;
using Corral.Jobs;
using Corral.Resources;
using Corral.Workers;

namespace Corral.HostAgent.Jobs;

/// <summary>A launch as the host will run it: the limits it applies, what it clamped to its caps, or why it refuses.</summary>
public sealed record GuardedLaunch(JobLaunch Launch, ImmutableArray<string> Clamped, string? Refusal);

/// <summary>
/// Defence in depth on the host, on top of the dispatcher's placement check. An SSH session never gets more
/// than this host's SSH_MAX_* caps (min(spec, cap)), even when the cluster placed it with a stale view of them;
/// and a job that asked for GPUs never starts without them, here or anywhere: no empty subset. Nor does a job
/// start with a limit Docker would read as "no cap" (<see cref="ContainerCaps"/>), whatever the cluster sent, nor
/// with a pids limit above this host's share for jobs (hostPids, <see cref="WorkerCapacity.Pids"/>; 0: not counted).
/// </summary>
public static class LaunchGuard
{
    public static GuardedLaunch Check(JobLaunch launch, SshCaps caps, ImmutableArray<GpuDevice> hostGpus, long hostPids = 0)
    {
        if (GpuRefusal(launch, hostGpus) is { } refusal)
        {
            return new GuardedLaunch(launch, [], refusal);
        }

        var guarded = launch.Spec.Kind == JobKind.Ssh ? ClampToSshCaps(launch, caps) : new GuardedLaunch(launch, [], null);
        return Capped(ClampToHostPids(guarded, hostPids));
    }

    /// <summary>No job holds more pids than all jobs of this host may share: the rest keeps the host able to fork.</summary>
    private static GuardedLaunch ClampToHostPids(GuardedLaunch guarded, long hostPids)
    {
        var limits = guarded.Launch.Limits;
        if (hostPids <= 0 || limits.Pids <= hostPids)
        {
            return guarded;
        }

        return guarded with
        {
            Launch = guarded.Launch with { Limits = limits with { Pids = (int)hostPids } },
            Clamped = guarded.Clamped.Add(Format($"pids: asks {limits.Pids}, worker allows at most {hostPids}")),
        };
    }

    private static GuardedLaunch ClampToSshCaps(JobLaunch launch, SshCaps caps)
    {
        var asked = launch.Spec.Resources;
        var limits = launch.Limits;
        var clamped = ImmutableArray.CreateBuilder<string>();
        if (caps.MaxCpu is { } maxCpu && Math.Max(asked.Cpu ?? 0, limits.Cpu) > maxCpu)
        {
            clamped.Add(Format($"cpu: asks {Math.Max(asked.Cpu ?? 0, limits.Cpu):0.###}, SSH_MAX_CPU is {maxCpu:0.###}"));
            limits = limits with { Cpu = Math.Min(limits.Cpu, maxCpu) };
        }

        if (caps.MaxMemoryBytes is { } maxMemory && Math.Max(asked.MemoryBytes ?? 0, limits.MemoryBytes) > maxMemory)
        {
            clamped.Add($"memory: asks {ByteSize.Format(Math.Max(asked.MemoryBytes ?? 0, limits.MemoryBytes))}, SSH_MAX_MEMORY is {ByteSize.Format(maxMemory)}");
            limits = limits with { MemoryBytes = Math.Min(limits.MemoryBytes, maxMemory) };
        }

        if (caps.MaxPids is { } maxPids && Math.Max(asked.Pids ?? 0, limits.Pids) > maxPids)
        {
            clamped.Add(Format($"pids: asks {Math.Max(asked.Pids ?? 0, limits.Pids)}, SSH_MAX_PIDS is {maxPids}"));
            limits = limits with { Pids = Math.Min(limits.Pids, maxPids) };
        }

        return new GuardedLaunch(launch with { Limits = limits }, clamped.ToImmutable(), null);
    }

    private static GuardedLaunch Capped(GuardedLaunch guarded) =>
        ContainerCaps.Uncapped(guarded.Launch.Limits) is { } uncapped ? guarded with { Refusal = uncapped } : guarded;

    private static string? GpuRefusal(JobLaunch launch, ImmutableArray<GpuDevice> hostGpus)
    {
        var asked = launch.Spec.Resources.GpuCount;
        var given = launch.Limits.Gpus.Union(launch.Limits.ReservedGpus).ToList();
        if (asked > 0 && hostGpus.IsEmpty)
        {
            return $"the job asks for {asked} GPU(s) and this worker has none";
        }

        if (asked > 0 && launch.Limits.ReservedGpus.Length < asked)
        {
            return $"the job asks for {asked} GPU(s) but was given {launch.Limits.ReservedGpus.Length}";
        }

        var missing = given.Where(id => !hostGpus.Any(d => d.Id == id)).ToList();
        return missing.Count == 0
            ? null
            : $"GPU(s) {string.Join(", ", missing)} are not on this worker (it has {(hostGpus.IsEmpty ? "none" : string.Join(", ", hostGpus.Select(d => d.Id)))})";
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
