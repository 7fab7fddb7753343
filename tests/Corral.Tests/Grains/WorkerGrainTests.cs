using Corral.Jobs;
using Corral.Workers;
using Xunit;

namespace Corral.Tests.Grains;

// A cluster of its own: the workers registered here would otherwise be seen by other tests' dispatcher.
[Collection(WorkerReservationCollection.Name)]
public sealed class WorkerGrainTests(InMemoryClusterFixture fixture)
{
    [Fact]
    public async Task TryReserveMany_TakesJobsInOrderWhileTheyFit_AndRepeatsAreIdempotent()
    {
        var worker = await RegisterAsync(cpu: 4);

        var batch = await worker.TryReserveManyAsync([Request("a", 2), Request("b", 1.5), Request("c", 1), Request("d", 0.5)]);

        // c does not fit after a and b; d, asked after it, still does.
        Assert.Equal(["a", "b", "d"], batch.Granted.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(4, batch.Worker.AllocatedCpu);
        Assert.Equal(["a", "b", "d"], batch.Worker.Jobs.ToArray());

        var again = await worker.TryReserveManyAsync([Request("a", 2), Request("c", 1)]);
        Assert.Equal(["a"], again.Granted.Keys.ToArray());
        Assert.Equal(batch.Granted["a"], again.Granted["a"]);
        Assert.Equal(4, again.Worker.AllocatedCpu);

        await worker.ReleaseAsync("b");
        var after = await worker.TryReserveManyAsync([Request("c", 1)]);
        Assert.Equal(["c"], after.Granted.Keys.ToArray());
        Assert.Equal(3.5, after.Worker.AllocatedCpu);
    }

    [Fact]
    public void WithReservation_CountsTheRoomAsTheWorkerGrainWould()
    {
        var view = new WorkerView(
            "w", new WorkerCapacity(8, 16L << 30, []), SshCaps.Uncapped, 1, 1L << 30, [], ["x"], true, null, [], "127.0.0.1");

        var after = view.WithReservation("y", new EffectiveLimits(2, 2L << 30, 64, ["GPU-1"], "0", ["GPU-1"]));

        Assert.Equal((3, 3L << 30), (after.AllocatedCpu, after.AllocatedMemoryBytes));
        Assert.Equal(["GPU-1"], after.AllocatedGpuIds.ToArray());
        Assert.Equal(["x", "y"], after.Jobs.ToArray());
    }

    private async Task<IWorkerGrain> RegisterAsync(double cpu)
    {
        var worker = fixture.Grains.GetGrain<IWorkerGrain>("w" + Guid.NewGuid().ToString("N")[..10]);
        await worker.RegisterAsync(new WorkerRegistration(
            "unused-host-key", new WorkerCapacity(cpu, 64L << 30, []), SshCaps.Uncapped, ["corral/busybox:latest"], "127.0.0.1"));
        return worker;
    }

    private static PlacementRequest Request(string jobId, double cpu) =>
        new(jobId, "alice", JobKind.Batch, new ResourceRequest(cpu, 1L << 20, null, null), "corral/busybox:latest");
}

[CollectionDefinition(Name)]
public sealed class WorkerReservationCollection : ICollectionFixture<InMemoryClusterFixture>
{
    public const string Name = "in-memory cluster with workers (reservations)";
}
