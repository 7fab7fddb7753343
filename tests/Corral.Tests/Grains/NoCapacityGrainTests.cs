using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// Pending jobs that no live worker could ever hold: they fail no_capacity once the grace has passed on the
/// cluster's no-capacity clock (moved by the test), giving their quota slot back; a worker that fits in time places them.
/// </summary>
[Collection(JobRetryGrainTests.Name)]
public sealed class NoCapacityGrainTests(InMemoryClusterFixture fixture)
{
    private readonly WorkerGrainsTestKit _kit = new(fixture);

    [Fact]
    public async Task JobsNoWorkerCouldEverHold_FailNoCapacityAfterTheGrace_AndFreeTheirSlotsForTheNextJob()
    {
        await _kit.RegisterAsync("small", cpu: 2);
        var user = WorkerGrainsTestKit.NewUser();
        // Service "tight" admits two jobs per user: both slots go to jobs that can never run...
        var huge = await _kit.SubmitAsync(user, "tight", 4096);
        var alsoHuge = await _kit.SubmitAsync(user, "tight", 128);
        // ...and this one waits in the queue behind them.
        var small = await _kit.SubmitAsync(user, "tight", 1);
        await _kit.EventuallyAsync(huge, v => v.Message?.StartsWith("no registered worker can satisfy this request: cpu: asks 4096", StringComparison.Ordinal) == true);
        await _kit.EventuallyAsync(alsoHuge, v => v.Message?.StartsWith("no registered worker can satisfy this request", StringComparison.Ordinal) == true);
        Assert.Equal(JobStatus.Queued, (await _kit.Job(small).GetAsync())!.Status);

        fixture.NoCapacityClock.Advance(InMemoryClusterFixture.NoCapacityGrace - TimeSpan.FromSeconds(1));
        await _kit.Job(huge).ReconcileAsync();
        Assert.Equal(JobStatus.Pending, (await _kit.Job(huge).GetAsync())!.Status);

        fixture.NoCapacityClock.Advance(TimeSpan.FromSeconds(1));
        await _kit.Job(huge).ReconcileAsync();
        await _kit.Job(alsoHuge).ReconcileAsync();

        var failed = await _kit.EventuallyAsync(huge, v => v.FinishedAt is not null);
        Assert.Equal((JobStatus.Failed, TerminationReason.NoCapacity), (failed.Status, failed.TerminationReason));
        Assert.Contains("could ever hold this job for 600 s", failed.Message, StringComparison.Ordinal);
        Assert.Contains("cpu: asks 4096", failed.Message, StringComparison.Ordinal);
        Assert.Equal(TerminationReason.NoCapacity, (await _kit.EventuallyAsync(alsoHuge, v => v.FinishedAt is not null)).TerminationReason);
        Assert.Equal(JobStatus.Starting, (await _kit.EventuallyAsync(small, v => v.Status == JobStatus.Starting)).Status);
        await _kit.Job(small).CancelAsync();
    }

    [Fact]
    public async Task AJobNoWorkerCouldHold_IsPlacedNormally_WhenAWorkerThatFitsJoinsWithinTheGrace()
    {
        await _kit.RegisterAsync("small", cpu: 2);
        var id = await _kit.SubmitAsync(WorkerGrainsTestKit.NewUser(), "nocap", 48);
        await _kit.EventuallyAsync(id, v => v.Message?.StartsWith("no registered worker can satisfy this request", StringComparison.Ordinal) == true);
        fixture.NoCapacityClock.Advance(InMemoryClusterFixture.NoCapacityGrace - TimeSpan.FromSeconds(10));

        var big = await _kit.RegisterAsync("big", cpu: 64);

        var placed = await _kit.EventuallyAsync(id, v => v.Status == JobStatus.Starting);
        Assert.Equal(big, placed.Worker);
        fixture.NoCapacityClock.Advance(InMemoryClusterFixture.NoCapacityGrace);
        await _kit.Job(id).ReconcileAsync();
        Assert.Equal(JobStatus.Starting, (await _kit.Job(id).GetAsync())!.Status);
        await _kit.Job(id).CancelAsync();
    }
}
