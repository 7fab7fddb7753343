using System.Collections.Immutable;
using Corral.Jobs;
using Corral.Resources;
using Corral.Workers;
using Xunit;

namespace Corral.Domain.Tests;

public sealed class PlacementCheckTests
{
    private const string Image = "corral/busybox:latest";

    private static readonly ImmutableArray<GpuDevice> FourGpus =
    [
        new(0, "GPU-a", "NVIDIA H100 80GB HBM3", 80L << 30),
        new(1, "GPU-b", "NVIDIA H100 80GB HBM3", 80L << 30),
        new(2, "GPU-c", "NVIDIA A100-SXM4-40GB", 40L << 30),
        new(3, "GPU-d", "NVIDIA A100-SXM4-40GB", 40L << 30),
    ];

    [Theory]
    [InlineData("NVIDIA H100 80GB HBM3", "H100", true)]
    [InlineData("NVIDIA H100 80GB HBM3", "h100", true)]
    [InlineData("NVIDIA H100 80GB HBM3", "A100", false)]
    [InlineData("NVIDIA A100-SXM4-40GB", "A100", true)]
    [InlineData("NVIDIA GeForce RTX 4090", "RTX 4090", true)]
    [InlineData("NVIDIA GeForce RTX 4090", null, true)]
    public void TypeMatches_NormalizesVendorAndCase(string device, string? requested, bool expected) =>
        Assert.Equal(expected, GpuMatcher.TypeMatches(device, requested));

    [Fact]
    public void Check_DefaultsFilledIn_WhenSpecOmitsResources()
    {
        var limits = PlacementCheck.Check(Worker(), JobKind.Batch, ResourceRequest.None, Image).Limits!;
        Assert.Equal((1.0, 1L << 30, 1024), (limits.Cpu, limits.MemoryBytes, limits.Pids));
        Assert.Empty(limits.Gpus);
        Assert.Null(limits.CudaVisibleDevices);
    }

    [Fact]
    public void Check_SmallestSatisfyingSubset_LeavesBigDevicesFree()
    {
        var fit = PlacementCheck.Check(Worker(), JobKind.Batch, new ResourceRequest(1, null, null, new GpuRequest(1, null, 30L << 30)), Image);
        Assert.Equal(["GPU-c"], fit.Limits!.Gpus.ToArray());
        Assert.Equal("0", fit.Limits.CudaVisibleDevices);
    }

    [Fact]
    public void Check_TypeAndCount_PicksMatchingDevices()
    {
        var fit = PlacementCheck.Check(Worker(), JobKind.Batch, new ResourceRequest(1, null, null, new GpuRequest(2, "H100", null)), Image);
        Assert.Equal(["GPU-a", "GPU-b"], fit.Limits!.Gpus.ToArray());
        Assert.Equal("0,1", fit.Limits.CudaVisibleDevices);
    }

    [Fact]
    public void Check_MoreGpusThanTheWorkerHas_SaysWhatIsShort()
    {
        var fit = PlacementCheck.Check(Worker(), JobKind.Batch, new ResourceRequest(1, null, null, new GpuRequest(5, null, null)), Image);
        Assert.False(fit.Fits);
        Assert.Contains("gpu: asks 5", fit.Shortfall);
        Assert.Contains("has 4", fit.Shortfall);
    }

    [Fact]
    public void Check_UnifiedMemoryDevice_UsesHostMemory()
    {
        var worker = Worker(gpus: [new GpuDevice(0, "GPU-gh", "NVIDIA GH200 480GB", 0)]);
        var fit = PlacementCheck.Check(worker, JobKind.Batch, new ResourceRequest(1, null, null, new GpuRequest(1, null, 16L << 30)), Image);
        Assert.Equal(["GPU-gh"], fit.Limits!.Gpus.ToArray());
    }

    [Fact]
    public void Check_SshAboveCap_DoesNotFit_AndNamesTheCeiling()
    {
        var worker = Worker(caps: new SshCaps(1.5, 512L << 20, 256));
        var fit = PlacementCheck.Check(worker, JobKind.Ssh, new ResourceRequest(2, null, null, null), Image);
        Assert.False(fit.Fits);
        Assert.Contains("allows at most 1.5", fit.Shortfall);
        Assert.False(PlacementCheck.CouldEverFit(worker, JobKind.Ssh, new ResourceRequest(2, null, null, null), Image));
        Assert.True(PlacementCheck.Check(worker, JobKind.Batch, new ResourceRequest(2, null, null, null), Image).Fits);
    }

    [Fact]
    public void Check_SshWithoutSpec_GetsTheCaps()
    {
        var fit = PlacementCheck.Check(Worker(caps: new SshCaps(0.5, 256L << 20, 64)), JobKind.Ssh, ResourceRequest.None, Image);
        Assert.Equal(0.5, fit.Limits!.Cpu);
        Assert.Equal(256L << 20, fit.Limits.MemoryBytes);
        Assert.Equal(64, fit.Limits.Pids);
    }

    [Fact]
    public void Check_BusyWorker_WaitsButCouldEverFit()
    {
        var busy = Worker() with { AllocatedCpu = 7.5 };
        var request = new ResourceRequest(1, null, null, null);
        Assert.Contains("free", PlacementCheck.Check(busy, JobKind.Batch, request, Image).Shortfall);
        Assert.True(PlacementCheck.CouldEverFit(busy, JobKind.Batch, request, Image));
    }

    [Theory]
    // Exactly as the engine lists it.
    [InlineData("corral/busybox:latest", "corral/busybox:latest", true)]
    // No tag means :latest, as for docker run.
    [InlineData("corral/busybox:latest", "corral/busybox", true)]
    [InlineData("corral/busybox:1.36", "corral/busybox", false)]
    [InlineData("corral/busybox:1.36", "corral/busybox:1.36", true)]
    [InlineData("corral/busybox:latest", "corral/busybox:1.36", false)]
    [InlineData("corral/busybox:latest", "corral/other:latest", false)]
    // A registry's port is not a tag.
    [InlineData("registry.local:5000/tool:latest", "registry.local:5000/tool", true)]
    [InlineData("registry.local:5000/tool:2", "registry.local:5000/tool", false)]
    public void Check_TheImageIsAConstraint_NamedWhenMissing(string onWorker, string asked, bool fits)
    {
        var worker = Worker() with { Images = [onWorker] };

        var fit = PlacementCheck.Check(worker, JobKind.Batch, ResourceRequest.None, asked);

        Assert.Equal(fits, fit.Fits);
        Assert.Equal(fits, PlacementCheck.HasImage(worker, asked));
        Assert.Equal(fits ? null : $"image: '{asked}' is not on worker 'w1'", fit.Shortfall);
    }

    [Fact]
    public void Check_MissingImage_IsListedWithTheOtherShortfalls_AndNeverFitsUntilLoaded()
    {
        var busy = Worker() with { AllocatedCpu = 7.5, Images = [] };

        var fit = PlacementCheck.Check(busy, JobKind.Ssh, new ResourceRequest(1, null, null, null), "corral/sshd:1");

        Assert.Equal("cpu: asks 1, 0.5 free on 'w1'; image: 'corral/sshd:1' is not on worker 'w1'", fit.Shortfall);
        Assert.False(PlacementCheck.CouldEverFit(busy, JobKind.Ssh, ResourceRequest.None, "corral/sshd:1"));
        Assert.True(PlacementCheck.CouldEverFit(busy with { Images = ["corral/sshd:1"] }, JobKind.Ssh, ResourceRequest.None, "corral/sshd:1"));
    }

    [Fact]
    public void FairOrder_AlternatesUsers_OldestFirst()
    {
        PlacementRequest R(string id, string user) => new(id, user, JobKind.Batch, ResourceRequest.None, "i");
        var order = FairOrder.Interleave([R("a1", "a"), R("a2", "a"), R("a3", "a"), R("b1", "b"), R("c1", "c"), R("b2", "b")]);
        Assert.Equal(["a1", "b1", "c1", "a2", "b2", "a3"], order.Select(r => r.JobId));
    }

    private static WorkerView Worker(ImmutableArray<GpuDevice>? gpus = null, SshCaps? caps = null) => new(
        "w1", new WorkerCapacity(8, 32L << 30, gpus ?? FourGpus), caps ?? SshCaps.Uncapped,
        0, 0, [], [], true, DateTimeOffset.UnixEpoch, [Image], "127.0.0.1");
}
