using System.Collections.Immutable;
using Corral.Jobs;
using Corral.Resources;
using Corral.Workers;
using Xunit;

namespace Corral.Domain.Tests;

/// <summary>The seed's GPU scenarios on a 4-device worker, and the SSH caps, as the placement check decides them.</summary>
public sealed class SshPlacementTests
{
    private const string Image = "corral/busybox:latest";

    // Two H100s, an A100 and a unified-memory GH200 (no memory of its own: it uses the host's 32 GiB).
    private static readonly ImmutableArray<GpuDevice> FourGpus =
    [
        new(0, "GPU-0", "NVIDIA H100 80GB HBM3", 80L << 30),
        new(1, "GPU-1", "NVIDIA H100 80GB HBM3", 80L << 30),
        new(2, "GPU-2", "NVIDIA A100-SXM4-40GB", 40L << 30),
        new(3, "GPU-3", "NVIDIA GH200 480GB", 0),
    ];

    [Theory]
    // ENABLE_SSH_GPU_LIMIT=true: a session gets exactly the devices it asked for, numbered 0..N-1 inside.
    [InlineData(true, 0, null, null, "", "", null)]
    [InlineData(true, 1, null, null, "GPU-3", "GPU-3", "0")]
    [InlineData(true, 1, "H100", null, "GPU-0", "GPU-0", "0")]
    [InlineData(true, 2, "h100", null, "GPU-0,GPU-1", "GPU-0,GPU-1", "0,1")]
    [InlineData(true, 1, null, "60G", "GPU-0", "GPU-0", "0")]
    [InlineData(true, 1, "GH200", "16Gi", "GPU-3", "GPU-3", "0")]
    // ENABLE_SSH_GPU_LIMIT=false: every GPU is visible, but only what was asked for is held.
    [InlineData(false, 0, null, null, "GPU-0,GPU-1,GPU-2,GPU-3", "", "0,1,2,3")]
    [InlineData(false, 1, "A100", null, "GPU-0,GPU-1,GPU-2,GPU-3", "GPU-2", "0,1,2,3")]
    public void SshSession_GetsTheGpusTheWorkerAllows(
        bool slice, int count, string? type, string? memory, string visible, string reserved, string? cuda)
    {
        var limits = PlacementCheck.Check(Worker(slice), JobKind.Ssh, Gpus(count, type, memory), Image).Limits!;
        Assert.Equal(visible, string.Join(',', limits.Gpus));
        Assert.Equal(reserved, string.Join(',', limits.ReservedGpus));
        Assert.Equal(cuda, limits.CudaVisibleDevices);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BatchJob_AlwaysGetsOnlyWhatItAskedFor(bool slice)
    {
        var limits = PlacementCheck.Check(Worker(slice), JobKind.Batch, Gpus(1, "A100", null), Image).Limits!;
        Assert.Equal(["GPU-2"], limits.Gpus.ToArray());
        Assert.Equal(["GPU-2"], limits.ReservedGpus.ToArray());
    }

    [Theory]
    [InlineData(5, null, null, "gpu: asks 5, worker 'w1' has 4 such device(s) (short by 1)")]
    [InlineData(1, "GH200", "64Gi", "gpu: asks 1 x GH200 with >= 64 GiB, worker 'w1' has 0 such device(s) (short by 1)")]
    [InlineData(3, "H100", null, "gpu: asks 3 x H100, worker 'w1' has 2 such device(s) (short by 1)")]
    public void GpuRequest_NoWorkerCanSatisfy_NamesWhatIsShort(int count, string? type, string? memory, string shortfall)
    {
        var fit = PlacementCheck.Check(Worker(true), JobKind.Ssh, Gpus(count, type, memory), Image);
        Assert.Equal(shortfall, fit.Shortfall);
        Assert.False(PlacementCheck.CouldEverFit(Worker(true), JobKind.Ssh, Gpus(count, type, memory), Image));
    }

    [Fact]
    public void GpuRequest_OnAWorkerWithoutGpus_SaysSo_NeverAnEmptySubset()
    {
        var fit = PlacementCheck.Check(Worker(true) with { Capacity = new WorkerCapacity(8, 32L << 30, []) }, JobKind.Ssh, Gpus(1, null, null), Image);
        Assert.Null(fit.Limits);
        Assert.Equal("gpu: asks 1, worker 'w1' has no GPUs", fit.Shortfall);
    }

    [Fact]
    public void GpuHeldByAnotherJob_WaitsForIt()
    {
        var busy = Worker(true) with { AllocatedGpuIds = ["GPU-0", "GPU-1"] };
        var fit = PlacementCheck.Check(busy, JobKind.Ssh, Gpus(1, "H100", null), Image);
        Assert.Equal("gpu: asks 1 x H100, not enough free on 'w1'", fit.Shortfall);
        Assert.True(PlacementCheck.CouldEverFit(busy, JobKind.Ssh, Gpus(1, "H100", null), Image));
    }

    [Theory]
    // Spec below the caps: the spec wins.
    [InlineData(0.5, "256Mi", 100, 0.5, 256L << 20, 100)]
    // Nothing asked: the defaults (1 CPU, 1 GiB, 1024 pids), each clamped by its cap.
    [InlineData(null, null, null, 1.0, 512L << 20, 256)]
    // Pids above the cap are clamped (the seed has no pids in its spec; ours does, still capped).
    [InlineData(1.5, null, 4096, 1.5, 512L << 20, 256)]
    public void SshSession_OnACappedWorker_GetsMinOfSpecAndCap(
        double? cpu, string? memory, int? pids, double wantCpu, long wantMemory, int wantPids)
    {
        var request = new ResourceRequest(cpu, memory is null ? null : Bytes(memory), pids, null);
        var limits = PlacementCheck.Check(Capped(), JobKind.Ssh, request, Image).Limits!;
        Assert.Equal((wantCpu, wantMemory, wantPids), (limits.Cpu, limits.MemoryBytes, limits.Pids));
    }

    [Fact]
    public void SshSession_AboveTheCaps_DoesNotFit_AndSaysByHowMuch()
    {
        var request = new ResourceRequest(2, 1L << 30, null, null);
        var fit = PlacementCheck.Check(Capped(), JobKind.Ssh, request, Image);
        Assert.Equal(
            "cpu: asks 2, worker 'w1' allows at most 1.5 (short by 0.5); memory: asks 1 GiB, worker 'w1' allows at most 512 MiB (short by 512 MiB)",
            fit.Shortfall);
        Assert.False(PlacementCheck.CouldEverFit(Capped(), JobKind.Ssh, request, Image));
        // The caps are for SSH sessions only.
        Assert.True(PlacementCheck.Check(Capped(), JobKind.Batch, request, Image).Fits);
    }

    private static ResourceRequest Gpus(int count, string? type, string? memory) =>
        new(1, null, null, count == 0 ? null : new GpuRequest(count, type, memory is null ? null : Bytes(memory)));

    private static long Bytes(string text) => ByteSize.TryParse(text, out var bytes) ? bytes : throw new FormatException(text);

    private static WorkerView Worker(bool slice) => new(
        "w1", new WorkerCapacity(8, 32L << 30, FourGpus), SshCaps.Uncapped,
        0, 0, [], [], true, DateTimeOffset.UnixEpoch, [Image], "127.0.0.1", slice);

    private static WorkerView Capped() => Worker(true) with { SshCaps = new SshCaps(1.5, 512L << 20, 256) };
}
