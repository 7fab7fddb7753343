using System.Collections.Concurrent;
using Corral.Jobs;
using Corral.Quotas;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// Quotas under concurrency and silo crashes, on PostgreSQL storage. Jobs are admitted (no worker exists, so
/// admitted jobs wait pending) and then ended by cancelling them, which frees their slot for the next in line.
/// </summary>
public sealed class QuotaConsistencyTests : IClassFixture<PostgresClusterFixture>
{
    private readonly PostgresClusterFixture _fixture;

    public QuotaConsistencyTests(PostgresClusterFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task HundredsOfParallelSubmissionsAcrossSilos_NeverHoldMoreThanTheLimit()
    {
        var user = "conc" + Guid.NewGuid().ToString("N")[..8];
        var ids = await RunWorkloadAsync(user, jobs: 240, duringRun: null);
        await AssertConsistentAsync(user, ids);
    }

    [Fact]
    public async Task SilosKilledWhileJobsAreAdmittedAndEnded_EveryJobEndsOnce_AndNoSlotLeaks()
    {
        var user = "fault" + Guid.NewGuid().ToString("N")[..8];
        var ids = await RunWorkloadAsync(user, jobs: 120, duringRun: async () =>
        {
            var victim = _fixture.Cluster.Silos.First(s => s != _fixture.Cluster.Primary);
            await _fixture.Cluster.KillSiloAsync(victim);
            await _fixture.Cluster.StartAdditionalSiloAsync();
        });
        await AssertConsistentAsync(user, ids);
    }

    /// <summary>Submits jobs in parallel through every silo, cancels admitted ones as they appear, until all ended.</summary>
    private async Task<List<string>> RunWorkloadAsync(string user, int jobs, Func<Task>? duringRun)
    {
        var ids = Enumerable.Range(0, jobs).Select(_ => Guid.NewGuid().ToString("N")).ToList();
        var submitted = new ConcurrentBag<string>();
        var submitting = Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 24 }, async (id, _) =>
        {
            await SpreadCalls.Retry(() => SpreadCalls.Through(_fixture.Cluster, id).GetGrain<IJobGrain>(id).SubmitAsync(user, PostgresClusterFixture.BatchSpec()));
            submitted.Add(id);
        });

        var crashed = duringRun is null;
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            Assert.True(DateTime.UtcNow < deadline, "jobs did not all end in time");
            if (!crashed && submitted.Count >= jobs / 3)
            {
                crashed = true;
                await duringRun!();
            }

            var views = await Task.WhenAll(submitted.Select(id => SpreadCalls.Retry(() => SpreadCalls.Through(_fixture.Cluster, id).GetGrain<IJobGrain>(id).GetAsync())));
            if (submitting.IsCompleted && views.Length == jobs && views.All(v => JobStateMachine.IsTerminal(v!.Status)))
            {
                break;
            }

            // End whatever holds a slot now; that admits the next ones in line.
            await Task.WhenAll(views.Where(v => v!.Status == JobStatus.Pending)
                .Select(v => SpreadCalls.Retry(() => SpreadCalls.Through(_fixture.Cluster, v!.Id).GetGrain<IJobGrain>(v!.Id).CancelAsync())));
            await Task.Delay(100);
        }

        await submitting;
        return ids;
    }

    private async Task AssertConsistentAsync(string user, List<string> ids)
    {
        var client = _fixture.Cluster.Client;
        var views = await Task.WhenAll(ids.Select(id => client.GetGrain<IJobGrain>(id).GetAsync()));

        // Every job went through admission exactly once and ended exactly once.
        foreach (var view in views)
        {
            Assert.NotNull(view);
            var steps = view.History.Select(h => h.Status).ToList();
            Assert.Equal([JobStatus.Queued, JobStatus.Pending, JobStatus.Cancelled], steps);
        }

        // From the persisted histories: at no instant did more than the limit hold a slot.
        var edges = views.SelectMany(v => new[]
        {
            (At: v!.History.Single(h => h.Status == JobStatus.Pending).At, Delta: +1),
            (At: v.History.Single(h => h.Status == JobStatus.Cancelled).At, Delta: -1),
        }).OrderBy(e => e.At).ThenBy(e => e.Delta);
        var holding = 0;
        var most = 0;
        foreach (var edge in edges)
        {
            holding += edge.Delta;
            most = Math.Max(most, holding);
        }

        Assert.InRange(most, 1, PostgresClusterFixture.Limit);

        // No slot leaked: the quota holds nothing and queues nothing.
        var quota = client.GetGrain<IQuotaGrain>(QuotaKey.For(user, PostgresClusterFixture.Service));
        Assert.Equal(new QuotaUsage(PostgresClusterFixture.Service, PostgresClusterFixture.Limit, 0, 0), await quota.GetUsageAsync());
    }


}
