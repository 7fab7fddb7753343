using System.Collections.Immutable;
using Corral.Jobs;
using Corral.Workers;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// GPU reservations on a worker grain, with and without ENABLE_SSH_GPU_LIMIT (a 4-device worker). A cluster of
/// its own: the workers registered here would otherwise take the jobs that other grain tests expect to wait.
/// </summary>
[Collection(Name)]
public sealed class WorkerGrainGpuTests(InMemoryClusterFixture fixture)
{
    public const string Name = "in-memory cluster with workers";

    private static readonly ImmutableArray<GpuDevice> FourGpus =
    [
        new(0, "GPU-0", "NVIDIA H100 80GB HBM3", 80L << 30),
        new(1, "GPU-1", "NVIDIA H100 80GB HBM3", 80L << 30),
        new(2, "GPU-2", "NVIDIA A100-SXM4-40GB", 40L << 30),
        new(3, "GPU-3", "NVIDIA GH200 480GB", 0),
    ];

    [Fact]
    public async Task SlicedWorker_SshSessionHoldsOnlyItsDevice_AndOthersTakeTheRest()
    {
        var worker = await RegisterAsync(slice: true);
        var session = await worker.TryReserveAsync("ssh1", JobKind.Ssh, Gpus(1, "A100"));
        Assert.Equal(["GPU-2"], session.Limits!.Gpus.ToArray());
        Assert.Equal("0", session.Limits.CudaVisibleDevices);

        var batch = await worker.TryReserveAsync("batch1", JobKind.Batch, Gpus(3, null));
        Assert.Equal(["GPU-0", "GPU-1", "GPU-3"], batch.Limits!.Gpus.Order().ToArray());
        Assert.True((await worker.GetAsync())!.SshGpuLimit);
    }

    [Fact]
    public async Task UnslicedWorker_SshSessionSeesEveryDevice_ButHoldsOnlyWhatItAskedFor()
    {
        var worker = await RegisterAsync(slice: false);
        var session = await worker.TryReserveAsync("ssh1", JobKind.Ssh, Gpus(1, "A100"));
        Assert.Equal(["GPU-0", "GPU-1", "GPU-2", "GPU-3"], session.Limits!.Gpus.ToArray());
        Assert.Equal("0,1,2,3", session.Limits.CudaVisibleDevices);
        Assert.Equal(["GPU-2"], (await worker.GetAsync())!.AllocatedGpuIds.ToArray());

        Assert.True((await worker.TryReserveAsync("batch1", JobKind.Batch, Gpus(3, null))).Granted);
        var refused = await worker.TryReserveAsync("batch2", JobKind.Batch, Gpus(1, null));
        Assert.False(refused.Granted);
        Assert.Contains("not enough free", refused.Shortfall);

        // Given back, the device can be held again.
        await worker.ReleaseAsync("ssh1");
        Assert.Equal(["GPU-2"], (await worker.TryReserveAsync("batch2", JobKind.Batch, Gpus(1, null))).Limits!.Gpus.ToArray());
    }

    [Fact]
    public async Task FiveGpus_OnAFourGpuWorker_AreRefused_SayingWhatIsShort()
    {
        var worker = await RegisterAsync(slice: true);
        var refused = await worker.TryReserveAsync("ssh1", JobKind.Ssh, Gpus(5, null));
        Assert.False(refused.Granted);
        Assert.EndsWith("has 4 such device(s) (short by 1)", refused.Shortfall);
    }

    private async Task<IWorkerGrain> RegisterAsync(bool slice)
    {
        var worker = fixture.Grains.GetGrain<IWorkerGrain>("gpu-" + Guid.NewGuid().ToString("N")[..8]);
        await worker.RegisterAsync(new WorkerRegistration(
            "no-host", new WorkerCapacity(16, 64L << 30, FourGpus), SshCaps.Uncapped, [], "127.0.0.1", slice));
        return worker;
    }

    private static ResourceRequest Gpus(int count, string? type) => new(1, 1L << 30, null, new GpuRequest(count, type, null));
}

[CollectionDefinition(WorkerGrainGpuTests.Name)]
public sealed class WorkerClusterCollection : ICollectionFixture<InMemoryClusterFixture>;
