using System.Collections.Immutable;
using System.Globalization;
using Corral.Jobs;
using Corral.Workers;

namespace Corral.Resources;

/// <summary>The result of asking whether a worker can hold a job: the limits to apply, or what is short.</summary>
public sealed record PlacementFit(EffectiveLimits? Limits, string? Shortfall)
{
    public bool Fits => Limits is not null;
}

/// <summary>
/// satisfies(worker, spec): whether a worker can take a job now, and with which caps. For SSH sessions the
/// worker's ceiling is clamped by its operator caps, so a request above a cap never lands there. The GPUs a job
/// gets are chosen here too, at reservation time, so the dispatcher and the worker agree on them. Images are
/// never pulled, so a worker without the job's image cannot take it (its container would fail to start).
/// </summary>
public static class PlacementCheck
{
    public static PlacementFit Check(WorkerView worker, JobKind kind, ResourceRequest request, string image)
    {
        var caps = kind == JobKind.Ssh ? worker.SshCaps : SshCaps.Uncapped;
        var cpu = request.Cpu ?? Math.Min(ResourceDefaults.Cpu, caps.MaxCpu ?? double.MaxValue);
        var memory = request.MemoryBytes ?? Math.Min(ResourceDefaults.MemoryBytes, caps.MaxMemoryBytes ?? long.MaxValue);
        var pids = Math.Min(request.Pids ?? ResourceDefaults.Pids, caps.MaxPids ?? int.MaxValue);

        var cpuCeiling = Math.Min(worker.Capacity.Cpu, caps.MaxCpu ?? double.MaxValue);
        var memoryCeiling = Math.Min(worker.Capacity.MemoryBytes, caps.MaxMemoryBytes ?? long.MaxValue);
        var shortfalls = new List<string>();
        if (cpu > cpuCeiling)
        {
            shortfalls.Add(Format($"cpu: asks {cpu:0.###}, worker '{worker.Name}' allows at most {cpuCeiling:0.###} (short by {cpu - cpuCeiling:0.###})"));
        }
        else if (cpu > worker.FreeCpu + 1e-9)
        {
            shortfalls.Add(Format($"cpu: asks {cpu:0.###}, {Math.Max(0, worker.FreeCpu):0.###} free on '{worker.Name}'"));
        }

        if (worker.Capacity.CountsPids && pids > worker.Capacity.Pids)
        {
            // Above the worker's share for jobs: the rest is kept so the agent, the engine and iptables can fork.
            shortfalls.Add(Format($"pids: asks {pids}, worker '{worker.Name}' allows at most {worker.Capacity.Pids} (short by {pids - worker.Capacity.Pids})"));
        }
        else if (worker.Capacity.CountsPids && pids > worker.FreePids)
        {
            shortfalls.Add(Format($"pids: asks {pids}, {Math.Max(0, worker.FreePids)} free on '{worker.Name}'"));
        }

        if (memory > memoryCeiling)
        {
            shortfalls.Add($"memory: asks {ByteSize.Format(memory)}, worker '{worker.Name}' allows at most {ByteSize.Format(memoryCeiling)} (short by {ByteSize.Format(memory - memoryCeiling)})");
        }
        else if (memory > worker.FreeMemoryBytes)
        {
            shortfalls.Add($"memory: asks {ByteSize.Format(memory)}, {ByteSize.Format(Math.Max(0, worker.FreeMemoryBytes))} free on '{worker.Name}'");
        }

        ImmutableArray<GpuDevice> gpus = [];
        if (request.Gpu is { Count: > 0 } gpuRequest)
        {
            var everMatching = worker.Capacity.Gpus.Count(d => GpuMatcher.DeviceMatches(d, gpuRequest, worker.Capacity.MemoryBytes));
            gpus = GpuMatcher.ChooseSubset(worker.FreeGpus, gpuRequest, worker.Capacity.MemoryBytes);
            if (gpus.IsEmpty)
            {
                var asks = $"gpu: asks {gpuRequest.Count}{Describe(gpuRequest)}";
                shortfalls.Add(worker.Capacity.Gpus.IsEmpty
                    ? $"{asks}, worker '{worker.Name}' has no GPUs"
                    : everMatching < gpuRequest.Count
                        ? $"{asks}, worker '{worker.Name}' has {everMatching} such device(s) (short by {gpuRequest.Count - everMatching})"
                        : $"{asks}, not enough free on '{worker.Name}'");
            }
        }

        if (!HasImage(worker, image))
        {
            shortfalls.Add($"image: '{image}' is not on worker '{worker.Name}'");
        }

        if (shortfalls.Count > 0)
        {
            return new PlacementFit(null, string.Join("; ", shortfalls));
        }

        // Batch jobs and sliced SSH sessions see only their devices. An SSH session on a worker without
        // ENABLE_SSH_GPU_LIMIT sees every GPU (the seed's default, for utilization) but holds only what it asked for.
        var visible = kind == JobKind.Ssh && !worker.SshGpuLimit ? worker.Capacity.Gpus : gpus;
        var limits = new EffectiveLimits(
            cpu,
            memory,
            pids,
            [.. visible.Select(g => g.Id)],
            visible.IsEmpty ? null : GpuMatcher.VisibleDevices(visible.Length),
            [.. gpus.Select(g => g.Id)]);
        return new PlacementFit(limits, null);
    }

    /// <summary>Whether the worker could ever hold the job, were it empty (used to tell "wait" from "never").</summary>
    /// <remarks>An image missing today counts as "never" here; it is seen once loaded, at the next heartbeat.</remarks>
    public static bool CouldEverFit(WorkerView worker, JobKind kind, ResourceRequest request, string image) =>
        Check(worker.WithNothingAllocated(), kind, request, image).Fits;

    /// <summary>Whether the worker's engine holds the image, as its agent last listed it (repository:tag).</summary>
    public static bool HasImage(WorkerView worker, string image) => worker.Images.Contains(Tagged(image));

    /// <summary>
    /// The reference as the engine lists it: an untagged name means ":latest". A colon before the last slash
    /// belongs to a registry's port, not a tag ("registry:5000/tool" is "registry:5000/tool:latest").
    /// </summary>
    public static string Tagged(string image)
    {
        var name = image[(image.LastIndexOf('/') + 1)..];
        return name.Contains(':', StringComparison.Ordinal) || name.Contains('@', StringComparison.Ordinal)
            ? image
            : image + ":latest";
    }

    private static string Describe(GpuRequest request) =>
        (request.Type is null ? string.Empty : $" x {request.Type}")
        + (request.MemoryBytes is { } m ? $" with >= {ByteSize.Format(m)}" : string.Empty);

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
