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
    private readonly CappedServiceJobs _jobs = new(fixture.Grains);

    [Fact]
    public async Task TwoUsersFloodingACappedService_GetFreedSlotsInTurn_NeverMoreThanTheCap()
    {
        var alice = CappedServiceJobs.NewUser();
        var bob = CappedServiceJobs.NewUser();
        var a = await _jobs.SubmitAsync(alice, "capped", 4);
        var b = await _jobs.SubmitAsync(bob, "capped", 3);
        try
        {
            Assert.Equal([a[0], a[1]], await _jobs.PendingAsync([.. a, .. b]));
            var waiting = await _jobs.ViewAsync(b[1]);
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
                await CappedServiceJobs.EventuallyAsync(async () =>
                {
                    var pending = await _jobs.PendingAsync([.. a, .. b]);
                    Assert.InRange(pending.Count, 0, InMemoryClusterFixture.CappedCap);
                    admitted.AddRange(pending.Except(admitted).Except([a[0], a[1]]));
                    return pending.Count == expected;
                });
            }

            Assert.Equal([b[0], a[2], b[1], a[3], b[2]], admitted);
        }
        finally
        {
            await _jobs.CancelAllAsync([.. a, .. b]);
        }
    }

    [Fact]
    public async Task AWaitingJob_SaysWhetherItsUsersQuotaOrTheServiceCapHoldsIt()
    {
        var alice = CappedServiceJobs.NewUser();
        var bob = CappedServiceJobs.NewUser();
        var a = await _jobs.SubmitAsync(alice, "tightcapped", 3);
        var b = await _jobs.SubmitAsync(bob, "tightcapped", 2);
        var c = await _jobs.SubmitAsync(CappedServiceJobs.NewUser(), "tight", 3);
        try
        {
            var aliceWaits = await _jobs.ViewAsync(a[2]);
            Assert.Equal((JobStatus.Queued, 1, "waiting: user quota 2/2"), (aliceWaits.Status, aliceWaits.QueuePosition, aliceWaits.Message));
            Assert.Equal(JobStatus.Pending, (await _jobs.ViewAsync(b[0])).Status);
            var bobWaits = await _jobs.ViewAsync(b[1]);
            Assert.Equal((JobStatus.Queued, 1, "waiting: service cap 3/3"), (bobWaits.Status, bobWaits.QueuePosition, bobWaits.Message));
            var uncapped = await _jobs.ViewAsync(c[2]);
            Assert.Equal((JobStatus.Queued, 1, "waiting: user quota 2/2"), (uncapped.Status, uncapped.QueuePosition, uncapped.Message));

            // Bob's slot frees: Alice is at her own quota, so Bob's next job runs although Alice waited first.
            await fixture.Grains.GetGrain<IJobGrain>(b[0]).CancelAsync();
            await CappedServiceJobs.EventuallyAsync(async () => (await _jobs.ViewAsync(b[1])).Status == JobStatus.Pending);
            Assert.Equal(JobStatus.Queued, (await _jobs.ViewAsync(a[2])).Status);
        }
        finally
        {
            await _jobs.CancelAllAsync([.. a, .. b, .. c]);
        }
    }
}
