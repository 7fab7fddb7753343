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

    private const string Image = "corral/busybox:latest";

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
        var session = await ReserveAsync(worker, "ssh1", JobKind.Ssh, Gpus(1, "A100"));
        Assert.Equal(["GPU-2"], session!.Gpus.ToArray());
        Assert.Equal("0", session.CudaVisibleDevices);

        var batch = await ReserveAsync(worker, "batch1", JobKind.Batch, Gpus(3, null));
        Assert.Equal(["GPU-0", "GPU-1", "GPU-3"], batch!.Gpus.Order().ToArray());
        Assert.True((await worker.GetAsync())!.SshGpuLimit);
    }

    [Fact]
    public async Task UnslicedWorker_SshSessionSeesEveryDevice_ButHoldsOnlyWhatItAskedFor()
    {
        var worker = await RegisterAsync(slice: false);
        var session = await ReserveAsync(worker, "ssh1", JobKind.Ssh, Gpus(1, "A100"));
        Assert.Equal(["GPU-0", "GPU-1", "GPU-2", "GPU-3"], session!.Gpus.ToArray());
        Assert.Equal("0,1,2,3", session.CudaVisibleDevices);
        Assert.Equal(["GPU-2"], (await worker.GetAsync())!.AllocatedGpuIds.ToArray());

        Assert.NotNull(await ReserveAsync(worker, "batch1", JobKind.Batch, Gpus(3, null)));
        Assert.Null(await ReserveAsync(worker, "batch2", JobKind.Batch, Gpus(1, null)));

        // Given back, the device can be held again.
        await worker.ReleaseAsync("ssh1");
        Assert.Equal(["GPU-2"], (await ReserveAsync(worker, "batch2", JobKind.Batch, Gpus(1, null)))!.Gpus.ToArray());
    }

    [Fact]
    public async Task FiveGpus_OnAFourGpuWorker_AreRefused_AndNothingIsHeld()
    {
        var worker = await RegisterAsync(slice: true);
        Assert.Null(await ReserveAsync(worker, "ssh1", JobKind.Ssh, Gpus(5, null)));
        var view = (await worker.GetAsync())!;
        Assert.Empty(view.Jobs);
        Assert.Empty(view.AllocatedGpuIds);
    }

    /// <summary>The limits the worker granted the job, or null when it refused.</summary>
    private static async Task<EffectiveLimits?> ReserveAsync(IWorkerGrain worker, string jobId, JobKind kind, ResourceRequest request)
    {
        var batch = await worker.TryReserveManyAsync([new PlacementRequest(jobId, "alice", kind, request, Image)]);
        return batch.Granted.GetValueOrDefault(jobId);
    }

    private async Task<IWorkerGrain> RegisterAsync(bool slice)
    {
        var worker = fixture.Grains.GetGrain<IWorkerGrain>("gpu-" + Guid.NewGuid().ToString("N")[..8]);
        await worker.RegisterAsync(new WorkerRegistration(
            "no-host", new WorkerCapacity(16, 64L << 30, FourGpus), SshCaps.Uncapped, [Image], "127.0.0.1", slice));
        return worker;
    }

    private static ResourceRequest Gpus(int count, string? type) => new(1, 1L << 30, null, new GpuRequest(count, type, null));
}

[CollectionDefinition(WorkerGrainGpuTests.Name)]
public sealed class WorkerClusterCollection : ICollectionFixture<InMemoryClusterFixture>;
