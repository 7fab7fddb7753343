using System.Collections.Immutable;
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

    /// <summary>
    /// The heavy user runs a job that used an hour of CPU; then the heavy user fills the cap and both flood the
    /// service. The oldest running job is ended four times; returns the jobs admitted into the freed slots, in order.
    /// </summary>
    private async Task<(List<string> Admitted, List<string> Heavy, List<string> Light)> FloodAsync(string service)
    {
        var heavyUser = NewUser();
        var lightUser = NewUser();
        var past = await SubmitAsync(heavyUser, service, 1);
        await Eventually(async () => (await View(past[0])).Status == JobStatus.Pending);
        await fixture.Grains.GetGrain<IJobGrain>(past[0]).ReportCountersAsync(new JobCounters(0, 0, 0, CpuSeconds: 3600));
        // Reports are one-way: the job has the figure once its view shows it.
        await Eventually(async () => (await View(past[0])).CpuSeconds == 3600);
        await fixture.Grains.GetGrain<IJobGrain>(past[0]).CancelAsync();

        var heavy = await SubmitAsync(heavyUser, service, 6);
        var light = await SubmitAsync(lightUser, service, 6);
        try
        {
            Assert.Equal([heavy[0], heavy[1]], await PendingAsync([.. heavy, .. light]));
            var admitted = new List<string>();
            var running = new List<string> { heavy[0], heavy[1] };
            for (var ended = 0; ended < 4; ended++)
            {
                await fixture.Grains.GetGrain<IJobGrain>(running[0]).CancelAsync();
                running.RemoveAt(0);
                await Eventually(async () =>
                {
                    var pending = await PendingAsync([.. heavy, .. light]);
                    Assert.InRange(pending.Count, 0, Cap);
                    return pending.Count == Cap;
                });
                var next = (await PendingAsync([.. heavy, .. light])).Except(running).Single();
                admitted.Add(next);
                running.Add(next);
            }

            return (admitted, heavy, light);
        }
        finally
        {
            foreach (var id in heavy.Concat(light))
            {
                await fixture.Grains.GetGrain<IJobGrain>(id).CancelAsync();
            }
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

    private async Task<List<string>> PendingAsync(List<string> ids)
    {
        var views = await Task.WhenAll(ids.Select(View));
        return [.. views.Where(v => v.Status == JobStatus.Pending).Select(v => v.Id)];
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
