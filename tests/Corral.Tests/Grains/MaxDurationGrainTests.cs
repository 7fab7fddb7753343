using System.Collections.Immutable;
using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>The maximum duration a job runs under: its own, the service's default, never above the ceiling.</summary>
[Collection(InMemoryClusterCollection.Name)]
public sealed class MaxDurationGrainTests(InMemoryClusterFixture fixture)
{
    [Theory]
    [InlineData("limited", 7200, InMemoryClusterFixture.LimitedCeiling, "maxDurationSeconds lowered to 60, the service's ceiling")]
    [InlineData("limited", 10, 10, null)]
    [InlineData("limited", null, InMemoryClusterFixture.LimitedDefault, null)]
    [InlineData("other", null, null, null)]
    [InlineData("other", 7200, 7200, null)]
    public async Task ASubmittedJob_RunsUnderTheServicesDefaultAndCeiling(string service, int? asked, int? runsUnder, string? note)
    {
        var id = Guid.NewGuid().ToString("N");
        var spec = Spec(service, asked);
        var job = fixture.Grains.GetGrain<IJobGrain>(id);
        try
        {
            var view = await job.SubmitAsync("u" + Guid.NewGuid().ToString("N")[..10], spec);
            Assert.Equal(runsUnder, view.MaxDurationSeconds);
            Assert.Equal(note, view.History[0].Message);
        }
        finally
        {
            await job.CancelAsync();
        }
    }

    /// <summary>
    /// A ceiling lowered at run time reaches a job already waiting when it is admitted (service "tight", no cap: each
    /// user's own quota grain admits, and hands the overrides over with its answer).
    /// </summary>
    [Fact]
    public async Task AQueuedJob_TakesACeilingLoweredAtRunTime_WhenItIsAdmitted()
    {
        var user = CappedServiceJobs.NewUser();
        var limits = fixture.Grains.GetGrain<Corral.Quotas.IServiceQuotaGrain>("tight");
        var ids = Enumerable.Range(0, InMemoryClusterFixture.TightLimit + 1).Select(_ => Guid.NewGuid().ToString("N")).ToList();
        try
        {
            foreach (var id in ids)
            {
                await fixture.Grains.GetGrain<IJobGrain>(id).SubmitAsync(user, Spec("tight", 600));
            }

            var waiting = await View(ids[^1]);
            Assert.Equal((JobStatus.Queued, (int?)600), (waiting.Status, waiting.MaxDurationSeconds));

            Assert.NotNull((await limits.SetLimitsAsync(new Corral.Quotas.LimitOverrides(MaxDurationSeconds: 30))).Limits);
            // Submitted after the change: its view says the limit it will run under while it still waits.
            var late = Guid.NewGuid().ToString("N");
            ids.Add(late);
            var lateView = await fixture.Grains.GetGrain<IJobGrain>(late).SubmitAsync(user, Spec("tight", 600));
            Assert.Equal((JobStatus.Queued, (int?)30), (lateView.Status, lateView.MaxDurationSeconds));
            Assert.Equal(30, (await View(late)).MaxDurationSeconds);

            await fixture.Grains.GetGrain<IJobGrain>(ids[0]).CancelAsync();
            await CappedServiceJobs.EventuallyAsync(async () => (await View(ids[^2])).Status == JobStatus.Pending);

            var admitted = await View(ids[^2]);
            Assert.Equal(30, admitted.MaxDurationSeconds);
            Assert.Equal("maxDurationSeconds settled at 30, by the service's limits in force at admission", admitted.History[^1].Message);
            // Admitted before the change: it keeps the limit it was admitted with.
            Assert.Equal(600, (await View(ids[1])).MaxDurationSeconds);
        }
        finally
        {
            await limits.SetLimitsAsync(null);
            foreach (var id in ids)
            {
                await fixture.Grains.GetGrain<IJobGrain>(id).CancelAsync();
            }
        }
    }

    private async Task<JobView> View(string id) => (await fixture.Grains.GetGrain<IJobGrain>(id).GetAsync())!;

    private static JobSpec Spec(string service, int? asked) => new(
        service, "corral/busybox:latest", ["true"], JobKind.Batch, ImmutableDictionary<string, string>.Empty,
        ResourceRequest.None, null, asked);
}
