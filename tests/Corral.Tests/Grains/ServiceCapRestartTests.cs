using Corral.Jobs;
using Corral.Quotas;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>A capped service's holders, queues and turns survive a restart of the whole cluster on PostgreSQL.</summary>
public sealed class ServiceCapRestartTests(PostgresClusterFixture fixture) : IClassFixture<PostgresClusterFixture>
{
    private const string Service = PostgresClusterFixture.CappedService;

    [Fact]
    public async Task AfterAClusterRestart_TheCapStillHolds_AndTheNextInTurnIsAdmitted()
    {
        var alice = "ra" + Guid.NewGuid().ToString("N")[..8];
        var bob = "rb" + Guid.NewGuid().ToString("N")[..8];
        var a = await SubmitAsync(alice, 4);
        var b = await SubmitAsync(bob, 2);
        Assert.Equal([JobStatus.Pending, JobStatus.Pending, JobStatus.Pending, JobStatus.Queued], await StatusesAsync(a));
        Assert.Equal([JobStatus.Queued, JobStatus.Queued], await StatusesAsync(b));

        await fixture.RestartClusterAsync();

        // Nothing is admitted past the cap by the restart, and each waiting job still knows where it stands.
        Assert.Equal([JobStatus.Pending, JobStatus.Pending, JobStatus.Pending, JobStatus.Queued], await StatusesAsync(a));
        var waiting = await View(b[1]);
        Assert.Equal((JobStatus.Queued, 2, "waiting: service cap 3/3"), (waiting.Status, waiting.QueuePosition, waiting.Message));
        var usage = await fixture.Cluster.Client.GetGrain<IQuotaGrain>(QuotaKey.For(bob, Service)).GetUsageAsync();
        Assert.Equal((0, 2, (int?)3), (usage.Running, usage.Queued, usage.ServiceRunning));

        // Alice holds three slots, Bob none: Bob's first job takes the freed slot although Alice waited first.
        await fixture.Cluster.Client.GetGrain<IJobGrain>(a[0]).CancelAsync();
        await Eventually(async () => (await View(b[0])).Status == JobStatus.Pending);
        Assert.Equal(JobStatus.Queued, (await View(a[3])).Status);
    }

    [Fact]
    public async Task AfterAClusterRestart_RunTimeDurationsAndFairnessStillApply()
    {
        const string service = PostgresClusterFixture.PreemptiveService;
        var quota = fixture.Cluster.Client.GetGrain<IServiceQuotaGrain>(service);
        string? id = null;
        try
        {
            var change = await quota.SetLimitsAsync(new LimitOverrides(MaxDurationSeconds: 5, Fairness: "round_robin", FairShareHalfLifeSeconds: 60));
            Assert.NotNull(change.Limits);

            await fixture.RestartClusterAsync();

            var limits = await fixture.Cluster.Client.GetGrain<IServiceQuotaGrain>(service).GetLimitsAsync();
            Assert.Equal(new EffectiveLimit(5, "override"), limits.MaxDurationSeconds);
            Assert.Equal(new EffectiveChoice("round_robin", "override"), limits.Fairness);
            Assert.Equal(new EffectiveLimit(60, "override"), limits.FairShareHalfLifeSeconds);

            // A job submitted now runs under the ceiling set before the restart.
            id = Guid.NewGuid().ToString("N");
            await fixture.Cluster.Client.GetGrain<IJobGrain>(id).SubmitAsync("rd" + Guid.NewGuid().ToString("N")[..8], PostgresClusterFixture.BatchSpec(service));
            var view = await View(id);
            Assert.Equal((JobStatus.Pending, (int?)5), (view.Status, view.MaxDurationSeconds));
        }
        finally
        {
            await fixture.Cluster.Client.GetGrain<IServiceQuotaGrain>(service).SetLimitsAsync(null);
            if (id is not null)
            {
                await fixture.Cluster.Client.GetGrain<IJobGrain>(id).CancelAsync();
            }
        }
    }

    private async Task<List<string>> SubmitAsync(string user, int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var id = Guid.NewGuid().ToString("N");
            await fixture.Cluster.Client.GetGrain<IJobGrain>(id).SubmitAsync(user, PostgresClusterFixture.BatchSpec(Service));
            ids.Add(id);
        }

        return ids;
    }

    private async Task<List<JobStatus>> StatusesAsync(List<string> ids) =>
        [.. (await Task.WhenAll(ids.Select(View))).Select(v => v.Status)];

    private async Task<JobView> View(string id) => (await fixture.Cluster.Client.GetGrain<IJobGrain>(id).GetAsync())!;

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 30 s");
            await Task.Delay(100);
        }
    }
}
