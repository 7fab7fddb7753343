using Corral.Jobs;
using Corral.Quotas;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// A quota's waiting jobs are rows of their own (corral_quota_waiting): they survive silos killed and a restart in
/// their order, and a queue kept in the state's old shape is moved to rows when the quota activates.
/// </summary>
public sealed class QuotaQueueRestartTests(PostgresClusterFixture fixture) : IClassFixture<PostgresClusterFixture>
{
    private const string Service = PostgresClusterFixture.Service;

    [Fact]
    public async Task SilosKilledWithJobsWaiting_KeepTheirOrder_AndTheNextIsAdmittedFirst()
    {
        var user = "wq" + Guid.NewGuid().ToString("N")[..8];
        var running = new List<string>();
        for (var i = 0; i < PostgresClusterFixture.Limit; i++)
        {
            running.Add(await SubmitAsync(user, JobPriority.Normal));
        }

        var (first, low, high, last) = (await SubmitAsync(user, JobPriority.Normal), await SubmitAsync(user, JobPriority.Low),
            await SubmitAsync(user, JobPriority.High), await SubmitAsync(user, JobPriority.Normal));
        string[] order = [high, first, last, low];
        Assert.Equal([1, 2, 3, 4], await PositionsAsync(order));
        Assert.Equal(4, await fixture.CountAsync(
            "SELECT count(*) FROM corral_quota_waiting WHERE quota_key = $1", QuotaGrainId(user)));

        foreach (var silo in fixture.Cluster.Silos.Where(s => s != fixture.Cluster.Primary).ToList())
        {
            await fixture.Cluster.KillSiloAsync(silo);
        }

        await fixture.RestartClusterAsync();

        Assert.Equal([1, 2, 3, 4], await PositionsAsync(order));
        var usage = await fixture.Cluster.Client.GetGrain<IQuotaGrain>(QuotaKey.For(user, Service)).GetUsageAsync();
        Assert.Equal((3, 4), (usage.Running, usage.Queued));

        // Slots free one at a time: the waiting jobs are admitted in the order they kept.
        foreach (var (ended, next) in running.Zip(order))
        {
            await fixture.Cluster.Client.GetGrain<IJobGrain>(ended).CancelAsync();
            await Eventually(async () => (await View(next)).Status == JobStatus.Pending);
        }

        Assert.Equal(JobStatus.Queued, (await View(low)).Status);
        Assert.Equal(1, await fixture.CountAsync(
            "SELECT count(*) FROM corral_quota_waiting WHERE quota_key = $1", QuotaGrainId(user)));
    }

    [Fact]
    public async Task AQueueInTheOldState_IsMovedToRows_InItsOrder_AndTheStateNoLongerHoldsIt()
    {
        var user = "wm" + Guid.NewGuid().ToString("N")[..8];
        var quota = fixture.Cluster.Client.GetGrain<IQuotaGrain>(QuotaKey.For(user, Service));
        var storage = SiloServices.GetRequiredKeyedService<IGrainStorage>(GrainStorage.Name);
        var old = new GrainState<QuotaState>(new QuotaState
        {
            Holders = ["h1", "h2", "h3"],
            Queue = ["w-high", "w1", "w2", "w-low"],
            Priorities = new() { ["w-high"] = JobPriority.High, ["w-low"] = JobPriority.Low },
        });
        await storage.WriteStateAsync("quota", quota.GetGrainId(), old);

        Assert.Equal([1, 2, 3, 4], await WaitPositionsAsync(quota, ["w-high", "w1", "w2", "w-low"]));
        var usage = await quota.GetUsageAsync();
        Assert.Equal((3, 4), (usage.Running, usage.Queued));
        Assert.Equal(4, await fixture.CountAsync(
            "SELECT count(*) FROM corral_quota_waiting WHERE quota_key = $1", quota.GetGrainId().ToString()));
        var stored = new GrainState<QuotaState>();
        await storage.ReadStateAsync("quota", quota.GetGrainId(), stored);
        Assert.Empty(stored.State!.Queue);
        Assert.Equal(["h1", "h2", "h3"], stored.State.Holders);

        // A newcomer goes behind the moved jobs of its priority, and all of it outlives a restart.
        Assert.Equal(4, (await quota.EnqueueAsync("w3")).QueuePosition);
        await fixture.RestartClusterAsync();
        quota = fixture.Cluster.Client.GetGrain<IQuotaGrain>(QuotaKey.For(user, Service));
        Assert.Equal([1, 2, 3, 4, 5], await WaitPositionsAsync(quota, ["w-high", "w1", "w2", "w3", "w-low"]));
    }

    [Fact]
    public async Task AServiceQueueInTheOldState_IsMovedToRows_EachUserInTheirOrder_AndTurnsAndCapStillHold()
    {
        var (alice, bob) = ("sa" + Guid.NewGuid().ToString("N")[..8], "sb" + Guid.NewGuid().ToString("N")[..8]);
        var service = fixture.Cluster.Client.GetGrain<IServiceQuotaGrain>(PostgresClusterFixture.CappedService);
        var storage = SiloServices.GetRequiredKeyedService<IGrainStorage>(GrainStorage.Name);
        await storage.WriteStateAsync("service-quota", service.GetGrainId(), new GrainState<ServiceQuotaState>(new ServiceQuotaState
        {
            Holders = new() { [alice] = ["a-run1", "a-run2", "a-run3"] },
            Queues = new() { [alice] = ["a-high", "a1"], [bob] = ["b1", "b2"] },
            Turns = [alice, bob],
            Priorities = new() { ["a-high"] = JobPriority.High },
        }));

        Assert.Equal(1, (await service.GetWaitAsync(alice, "a-high"))!.Position);
        Assert.Equal(2, (await service.GetWaitAsync(alice, "a1"))!.Position);
        Assert.Equal(2, (await service.GetWaitAsync(bob, "b2"))!.Position);
        Assert.Null(await service.GetWaitAsync(alice, "b1"));
        Assert.Equal(4, await fixture.CountAsync(
            "SELECT count(*) FROM corral_quota_waiting WHERE quota_key = $1", service.GetGrainId().ToString()));
        var stored = new GrainState<ServiceQuotaState>();
        await storage.ReadStateAsync("service-quota", service.GetGrainId(), stored);
        Assert.Empty(stored.State!.Queues);
        Assert.Equal([alice, bob], stored.State.Turns);

        // The cap (3) is full. A freed slot goes to Alice's high job first: priority goes across users.
        var bobsUsage = await service.GetUsageAsync(bob);
        Assert.Equal((0, 2, 3), (bobsUsage.Running, bobsUsage.Queued, bobsUsage.ServiceRunning!.Value));
        await service.ReleaseAsync(alice, "a-run1");
        Assert.Null(await service.GetWaitAsync(alice, "a-high"));
        Assert.Equal(0, (await service.GetUsageAsync(bob)).Running);
        // The next goes to Bob, who holds none against Alice's three: the fair turns came through.
        await service.ReleaseAsync(alice, "a-run2");
        Assert.Equal((1, 1), ((await service.GetUsageAsync(bob)).Running, (await service.GetUsageAsync(bob)).Queued));
        Assert.Equal(1, (await service.GetWaitAsync(bob, "b2"))!.Position);
    }

    private IServiceProvider SiloServices => fixture.Cluster.Silos.OfType<InProcessSiloHandle>().First().SiloHost.Services;

    private string QuotaGrainId(string user) =>
        fixture.Cluster.Client.GetGrain<IQuotaGrain>(QuotaKey.For(user, Service)).GetGrainId().ToString();

    private static async Task<int?[]> WaitPositionsAsync(IQuotaGrain quota, string[] jobs) =>
        await Task.WhenAll(jobs.Select(quota.GetQueuePositionAsync));

    private async Task<int?[]> PositionsAsync(string[] jobs) =>
        [.. (await Task.WhenAll(jobs.Select(View))).Select(v => v.QueuePosition)];

    private async Task<string> SubmitAsync(string user, JobPriority priority)
    {
        var id = Guid.NewGuid().ToString("N");
        var spec = PostgresClusterFixture.BatchSpec() with { Priority = priority };
        await fixture.Cluster.Client.GetGrain<IJobGrain>(id).SubmitAsync(user, spec);
        return id;
    }

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
