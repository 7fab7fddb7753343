using Corral.Gateway.Live;
using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Unit;

public sealed class JobEventOrderTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AViewWithFewerSteps_ArrivingAfterANewerOne_IsStale()
    {
        var order = new JobEventOrder();
        Assert.False(order.IsStale(View("a", [JobStatus.Queued, JobStatus.Pending, JobStatus.Starting])));
        Assert.True(order.IsStale(View("a", [JobStatus.Queued, JobStatus.Pending])));
        Assert.False(order.IsStale(View("b", [JobStatus.Queued, JobStatus.Pending])));
    }

    [Fact]
    public void AWaitingJobsPosition_OnlyMovesUp()
    {
        var order = new JobEventOrder();
        Assert.False(order.IsStale(View("a", [JobStatus.Queued], position: 3)));
        Assert.False(order.IsStale(View("a", [JobStatus.Queued], position: 1)));
        // The notice of position 2 was sent before the one of position 1 but came later.
        Assert.True(order.IsStale(View("a", [JobStatus.Queued], position: 2)));
        // Admitted: a new step, no position.
        Assert.False(order.IsStale(View("a", [JobStatus.Queued, JobStatus.Pending])));
    }

    [Fact]
    public void CounterUpdates_WithTheSameSteps_AllPass()
    {
        var order = new JobEventOrder();
        var running = View("a", [JobStatus.Queued, JobStatus.Pending, JobStatus.Starting, JobStatus.Running]);
        Assert.False(order.IsStale(running));
        Assert.False(order.IsStale(running with { LogBytesTotal = 10 }));
        Assert.False(order.IsStale(running with { LogBytesTotal = 20 }));
    }

    [Fact]
    public async Task ANewerView_WaitsUntilAnOlderOneThatPassedIsHandedOver_SoItIsNeverReplacedByIt()
    {
        // Two observer calls of one job at once: the older view passes the check first. Were check and hand-over
        // apart, the newer one could be posted in between and then be replaced by the older one in the outbox.
        var order = new JobEventOrder();
        var handedOver = new List<JobStatus>();
        using var olderChecked = new ManualResetEventSlim();
        using var releaseOlder = new ManualResetEventSlim();
        var older = Task.Run(() => order.ForwardIfCurrent(View("a", [JobStatus.Queued, JobStatus.Pending, JobStatus.Starting]), view =>
        {
            olderChecked.Set();
            releaseOlder.Wait();
            handedOver.Add(view.Status);
        }));
        olderChecked.Wait();
        var newer = Task.Run(() => order.ForwardIfCurrent(
            View("a", [JobStatus.Queued, JobStatus.Pending, JobStatus.Starting, JobStatus.Running, JobStatus.Succeeded]),
            view => handedOver.Add(view.Status)));

        await Task.Delay(200);
        Assert.False(newer.IsCompleted);
        releaseOlder.Set();

        Assert.True(await older);
        Assert.True(await newer);
        Assert.Equal([JobStatus.Starting, JobStatus.Succeeded], handedOver);
        Assert.False(order.ForwardIfCurrent(View("a", [JobStatus.Queued, JobStatus.Pending]), view => handedOver.Add(view.Status)));
        Assert.Equal(2, handedOver.Count);
    }

    private static JobView View(string id, JobStatus[] steps, int? position = null) => new(
        id, "alice", "example", JobKind.Batch, steps[^1], null, null, null, null, position, Start, null, null,
        ResourceRequest.None, null, 0, 0, 0, null, "corral/busybox:latest", ["true"],
        [.. steps.Select((status, i) => new JobTransition(status, Start.AddSeconds(i), null))]);
}
