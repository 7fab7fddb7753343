using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// A capped service shared by recent CPU usage (the default) or round-robin (SERVICE_&lt;NAME&gt;_FAIRNESS). No worker
/// is registered: admitted jobs wait pending, and ending them frees their slots. Past usage is a job's counters, as
/// its host agent reports them, counted when it ends.
/// </summary>
[Collection(InMemoryClusterCollection.Name)]
public sealed class FairShareTests(InMemoryClusterFixture fixture)
{
    private const int Cap = InMemoryClusterFixture.FairShareCap;
    private readonly CappedServiceJobs _jobs = new(fixture.Grains);

    [Fact]
    public async Task TwoUsersFlooding_OneWithHeavyPastUsage_TheLightUserGetsTheFreedSlots_NeverMoreThanTheCap()
    {
        var (admitted, heavy, light) = await FloodAsync("fairshare");

        // Every freed slot goes to the light user: the heavy one's hour of CPU outweighs anything the light one holds.
        Assert.Equal(light.Take(4), admitted);
        Assert.Empty(admitted.Intersect(heavy));
    }

    [Fact]
    public async Task TwoUsersFlooding_RoundRobinService_Alternate_WhateverTheirPastUsage()
    {
        var (admitted, heavy, light) = await FloodAsync("rrshare");

        // Heavy's h1 ended first, so light (holding none) is next, then heavy (holding none after h2), and so on.
        Assert.Equal([light[0], heavy[2], light[1], heavy[3]], admitted);
    }

    [Fact]
    public async Task FairnessSwitchedToRoundRobinAtRunTime_TheNextFloodAlternates()
    {
        var service = fixture.Grains.GetGrain<Corral.Quotas.IServiceQuotaGrain>("fairswitch");
        try
        {
            var (byUsage, _, lightFirst) = await FloodAsync("fairswitch");
            Assert.Equal(lightFirst.Take(4), byUsage);

            var change = await service.SetLimitsAsync(new Corral.Quotas.LimitOverrides(Fairness: "round_robin"));
            Assert.Equal(new Corral.Quotas.EffectiveChoice("round_robin", "override"), change.Limits!.Fairness);

            var (byTurns, heavy, light) = await FloodAsync("fairswitch");
            Assert.Equal([light[0], heavy[2], light[1], heavy[3]], byTurns);
        }
        finally
        {
            await service.SetLimitsAsync(null);
        }
    }

    /// <summary>
    /// The heavy user runs a job that used an hour of CPU; then the heavy user fills the cap and both flood the
    /// service. The oldest running job is ended four times; returns the jobs admitted into the freed slots, in order.
    /// </summary>
    private async Task<(List<string> Admitted, List<string> Heavy, List<string> Light)> FloodAsync(string service)
    {
        var heavyUser = CappedServiceJobs.NewUser();
        var lightUser = CappedServiceJobs.NewUser();
        var past = await _jobs.SubmitAsync(heavyUser, service, 1);
        await CappedServiceJobs.EventuallyAsync(async () => (await _jobs.ViewAsync(past[0])).Status == JobStatus.Pending);
        await fixture.Grains.GetGrain<IJobGrain>(past[0]).ReportCountersAsync(new JobCounters(0, 0, 0, CpuSeconds: 3600));
        // Reports are one-way: the job has the figure once its view shows it.
        await CappedServiceJobs.EventuallyAsync(async () => (await _jobs.ViewAsync(past[0])).CpuSeconds == 3600);
        await fixture.Grains.GetGrain<IJobGrain>(past[0]).CancelAsync();

        var heavy = await _jobs.SubmitAsync(heavyUser, service, 6);
        var light = await _jobs.SubmitAsync(lightUser, service, 6);
        try
        {
            Assert.Equal([heavy[0], heavy[1]], await _jobs.PendingAsync([.. heavy, .. light]));
            var admitted = new List<string>();
            var running = new List<string> { heavy[0], heavy[1] };
            for (var ended = 0; ended < 4; ended++)
            {
                await fixture.Grains.GetGrain<IJobGrain>(running[0]).CancelAsync();
                running.RemoveAt(0);
                await CappedServiceJobs.EventuallyAsync(async () =>
                {
                    var pending = await _jobs.PendingAsync([.. heavy, .. light]);
                    Assert.InRange(pending.Count, 0, Cap);
                    return pending.Count == Cap;
                });
                var next = (await _jobs.PendingAsync([.. heavy, .. light])).Except(running).Single();
                admitted.Add(next);
                running.Add(next);
            }

            return (admitted, heavy, light);
        }
        finally
        {
            await _jobs.CancelAllAsync(heavy.Concat(light));
        }
    }
}
