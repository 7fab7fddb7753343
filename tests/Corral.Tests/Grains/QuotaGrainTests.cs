using Corral.Jobs;
using Corral.Quotas;
using Corral.Users;
using Xunit;

namespace Corral.Tests.Grains;

[Collection(InMemoryClusterCollection.Name)]
public sealed class QuotaGrainTests(InMemoryClusterFixture fixture)
{
    private static string NewUser() => "u" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task Enqueue_PastTheLimit_WaitsInFifoOrder_AndReleaseAdmitsTheOldest()
    {
        var quota = fixture.Grains.GetGrain<IQuotaGrain>(QuotaKey.For(NewUser(), "tight"));
        Assert.True((await quota.EnqueueAsync("j1")).Admitted);
        Assert.True((await quota.EnqueueAsync("j2")).Admitted);
        Assert.Equal(new QuotaDecision(false, 1, "waiting: user quota 2/2"), await quota.EnqueueAsync("j3"));
        Assert.Equal(new QuotaDecision(false, 2, "waiting: user quota 2/2"), await quota.EnqueueAsync("j4"));
        // Asking again changes nothing: enqueue is idempotent.
        Assert.Equal(new QuotaDecision(false, 1, "waiting: user quota 2/2"), await quota.EnqueueAsync("j3"));

        await quota.ReleaseAsync("j1");

        // j2 and j3 hold the slots: asking again (as a reconciled job does) finds them admitted, and changes nothing.
        Assert.True((await quota.EnqueueAsync("j2")).Admitted);
        Assert.True((await quota.EnqueueAsync("j3")).Admitted);
        Assert.Equal(1, await quota.GetQueuePositionAsync("j4"));
        Assert.Equal(new QuotaUsage("tight", InMemoryClusterFixture.TightLimit, 2, 1), await quota.GetUsageAsync());
    }

    [Fact]
    public async Task Release_OfAQueuedJob_DropsItWithoutAdmittingAnyone()
    {
        var quota = fixture.Grains.GetGrain<IQuotaGrain>(QuotaKey.For(NewUser(), "tight"));
        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            await quota.EnqueueAsync(id);
        }

        await quota.ReleaseAsync("c");
        await quota.ReleaseAsync("c");

        Assert.Equal(new QuotaUsage("tight", InMemoryClusterFixture.TightLimit, 2, 1), await quota.GetUsageAsync());
        Assert.Null(await quota.GetQueuePositionAsync("c"));
        Assert.Equal(1, await quota.GetQueuePositionAsync("d"));
    }

    [Fact]
    public async Task Jobs_BeyondTheLimit_StayQueued_UntilASlotFrees_AndOtherUsersAreUnaffected()
    {
        var alice = NewUser();
        var bob = NewUser();
        var ids = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid().ToString("N")).ToList();
        var views = new List<JobView>();
        foreach (var id in ids)
        {
            views.Add(await fixture.Grains.GetGrain<IJobGrain>(id).SubmitAsync(alice, Spec("tight")));
        }

        // No worker is registered: admitted jobs wait pending, the rest wait queued, none is rejected.
        Assert.Equal([JobStatus.Pending, JobStatus.Pending, JobStatus.Queued, JobStatus.Queued], views.Select(v => v.Status));
        Assert.Equal([null, null, 1, 2], views.Select(v => v.QueuePosition));
        var bobs = await fixture.Grains.GetGrain<IJobGrain>(Guid.NewGuid().ToString("N")).SubmitAsync(bob, Spec("tight"));
        Assert.Equal(JobStatus.Pending, bobs.Status);

        var cancelled = await fixture.Grains.GetGrain<IJobGrain>(ids[0]).CancelAsync();
        Assert.Equal((JobStatus.Cancelled, TerminationReason.CancelledByUser), (cancelled.Status, cancelled.TerminationReason));

        // The oldest waiting job takes the freed slot; the newest keeps waiting, now first in line.
        await Eventually(async () => (await View(ids[2])).Status == JobStatus.Pending);
        Assert.Equal(1, (await View(ids[3])).QueuePosition);
        var usage = (await fixture.Grains.GetGrain<IUserGrain>(alice).GetQuotasAsync()).Single(q => q.Service == "tight");
        Assert.Equal((2, 1), (usage.Running, usage.Queued));
        Assert.Contains("no worker", (await View(ids[1])).Message);
    }

    [Fact]
    public async Task Cancel_IsIdempotent_AndTerminalStateNeverChanges()
    {
        var id = Guid.NewGuid().ToString("N");
        var job = fixture.Grains.GetGrain<IJobGrain>(id);
        await job.SubmitAsync(NewUser(), Spec("other"));
        var first = await job.CancelAsync();
        var second = await job.CancelAsync();
        await job.CompleteAsync("nowhere", JobOutcome.FromExit(0, false));
        var after = await View(id);
        Assert.Equal(JobStatus.Cancelled, after.Status);
        Assert.Equal(first.FinishedAt, second.FinishedAt);
        Assert.Equal([JobStatus.Queued, JobStatus.Pending, JobStatus.Cancelled], after.History.Select(h => h.Status));
    }

    private Task<JobView> View(string id) => fixture.Grains.GetGrain<IJobGrain>(id).GetAsync()!;

    private static JobSpec Spec(string service) => new(
        service, "corral/busybox:latest", ["true"], JobKind.Batch,
        System.Collections.Immutable.ImmutableDictionary<string, string>.Empty, ResourceRequest.None, null);

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(50);
        }
    }
}
