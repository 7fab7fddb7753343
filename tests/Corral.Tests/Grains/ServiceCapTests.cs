using System.Collections.Immutable;
using Corral.Jobs;
using Corral.Users;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// A service-wide cap (SERVICE_&lt;NAME&gt;_MAX_RUNS) shared fairly between users, and what a waiting job says
/// holds it. No worker is registered: admitted jobs wait pending. Each test cancels its jobs, since the cap is shared
/// by every test of the cluster.
/// </summary>
[Collection(InMemoryClusterCollection.Name)]
public sealed class ServiceCapTests(InMemoryClusterFixture fixture)
{
    [Fact]
    public async Task TwoUsersFloodingACappedService_GetFreedSlotsInTurn_NeverMoreThanTheCap()
    {
        var alice = NewUser();
        var bob = NewUser();
        var a = await SubmitAsync(alice, "capped", 4);
        var b = await SubmitAsync(bob, "capped", 3);
        try
        {
            Assert.Equal([a[0], a[1]], await PendingAsync([.. a, .. b]));
            var waiting = await View(b[1]);
            Assert.Equal((JobStatus.Queued, 2, "waiting: service cap 2/2"), (waiting.Status, waiting.QueuePosition, waiting.Message));
            var bobs = (await fixture.Grains.GetGrain<IUserGrain>(bob).GetQuotasAsync()).Single(q => q.Service == "capped");
            Assert.Equal((0, 3, (int?)InMemoryClusterFixture.CappedCap, (int?)2), (bobs.Running, bobs.Queued, bobs.ServiceLimit, bobs.ServiceRunning));

            // Each time the oldest running job ends, the slot goes to the user holding fewer: alternately.
            var admitted = new List<string>();
            var ends = new[] { a[0], a[1], b[0], a[2], b[1] };
            for (var ended = 1; ended <= ends.Length; ended++)
            {
                await fixture.Grains.GetGrain<IJobGrain>(ends[ended - 1]).CancelAsync();
                var expected = Math.Min(InMemoryClusterFixture.CappedCap, a.Count + b.Count - ended);
                await Eventually(async () =>
                {
                    var pending = await PendingAsync([.. a, .. b]);
                    Assert.InRange(pending.Count, 0, InMemoryClusterFixture.CappedCap);
                    admitted.AddRange(pending.Except(admitted).Except([a[0], a[1]]));
                    return pending.Count == expected;
                });
            }

            Assert.Equal([b[0], a[2], b[1], a[3], b[2]], admitted);
        }
        finally
        {
            await CancelAllAsync([.. a, .. b]);
        }
    }

    [Fact]
    public async Task AWaitingJob_SaysWhetherItsUsersQuotaOrTheServiceCapHoldsIt()
    {
        var alice = NewUser();
        var bob = NewUser();
        var a = await SubmitAsync(alice, "tightcapped", 3);
        var b = await SubmitAsync(bob, "tightcapped", 2);
        var c = await SubmitAsync(NewUser(), "tight", 3);
        try
        {
            var aliceWaits = await View(a[2]);
            Assert.Equal((JobStatus.Queued, 1, "waiting: user quota 2/2"), (aliceWaits.Status, aliceWaits.QueuePosition, aliceWaits.Message));
            Assert.Equal(JobStatus.Pending, (await View(b[0])).Status);
            var bobWaits = await View(b[1]);
            Assert.Equal((JobStatus.Queued, 1, "waiting: service cap 3/3"), (bobWaits.Status, bobWaits.QueuePosition, bobWaits.Message));
            var uncapped = await View(c[2]);
            Assert.Equal((JobStatus.Queued, 1, "waiting: user quota 2/2"), (uncapped.Status, uncapped.QueuePosition, uncapped.Message));

            // Bob's slot frees: Alice is at her own quota, so Bob's next job runs although Alice waited first.
            await fixture.Grains.GetGrain<IJobGrain>(b[0]).CancelAsync();
            await Eventually(async () => (await View(b[1])).Status == JobStatus.Pending);
            Assert.Equal(JobStatus.Queued, (await View(a[2])).Status);
        }
        finally
        {
            await CancelAllAsync([.. a, .. b, .. c]);
        }
    }

    private static string NewUser() => "u" + Guid.NewGuid().ToString("N")[..10];

    private async Task<List<string>> SubmitAsync(string user, string service, int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var id = Guid.NewGuid().ToString("N");
            await fixture.Grains.GetGrain<IJobGrain>(id).SubmitAsync(user, Spec(service));
            ids.Add(id);
        }

        return ids;
    }

    /// <summary>The jobs holding a slot now, in the order they were admitted.</summary>
    private async Task<List<string>> PendingAsync(List<string> ids)
    {
        var views = await Task.WhenAll(ids.Select(View));
        return [.. views.Where(v => v.Status == JobStatus.Pending)
            .OrderBy(v => v.History.Single(h => h.Status == JobStatus.Pending).At).Select(v => v.Id)];
    }

    private async Task CancelAllAsync(List<string> ids)
    {
        foreach (var id in ids)
        {
            await fixture.Grains.GetGrain<IJobGrain>(id).CancelAsync();
        }
    }

    private async Task<JobView> View(string id) => (await fixture.Grains.GetGrain<IJobGrain>(id).GetAsync())!;

    private static JobSpec Spec(string service) => new(
        service, "corral/busybox:latest", ["true"], JobKind.Batch, ImmutableDictionary<string, string>.Empty, ResourceRequest.None, null);

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
