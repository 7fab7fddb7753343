using System.Collections.Concurrent;
using Corral.Jobs;
using Corral.Quotas;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// A service-wide cap under concurrency and silo crashes, on PostgreSQL storage: two users submit in parallel
/// through every silo; admitted jobs (no worker exists, so they wait pending) are cancelled as they appear, which
/// frees their slot for the next in turn.
/// </summary>
public sealed class ServiceCapConsistencyTests(PostgresClusterFixture fixture) : IClassFixture<PostgresClusterFixture>
{
    private const string Service = PostgresClusterFixture.CappedService;

    [Fact]
    public async Task TwoUsersSubmittingInParallelAcrossSilos_NeverHoldMoreThanTheCap_AndBothGetSlots()
    {
        var users = new[] { "ca" + Guid.NewGuid().ToString("N")[..8], "cb" + Guid.NewGuid().ToString("N")[..8] };
        var ids = await RunWorkloadAsync(users, jobsPerUser: 60, duringRun: null);
        await AssertConsistentAsync(users, ids);
    }

    [Fact]
    public async Task SilosKilledWhileJobsAreAdmittedAndEnded_EveryJobEndsOnce_AndNoSlotLeaks()
    {
        var users = new[] { "fa" + Guid.NewGuid().ToString("N")[..8], "fb" + Guid.NewGuid().ToString("N")[..8] };
        var ids = await RunWorkloadAsync(users, jobsPerUser: 40, duringRun: async () =>
        {
            var victim = fixture.Cluster.Silos.First(s => s != fixture.Cluster.Primary);
            await fixture.Cluster.KillSiloAsync(victim);
            await fixture.Cluster.StartAdditionalSiloAsync();
        });
        await AssertConsistentAsync(users, ids);
    }

    private async Task<Dictionary<string, string>> RunWorkloadAsync(string[] users, int jobsPerUser, Func<Task>? duringRun)
    {
        // Job id to its user; both users' submissions interleave.
        var jobs = Enumerable.Range(0, jobsPerUser).SelectMany(_ => users)
            .ToDictionary(_ => Guid.NewGuid().ToString("N"), user => user);
        var submitted = new ConcurrentBag<string>();
        var submitting = Parallel.ForEachAsync(jobs, new ParallelOptions { MaxDegreeOfParallelism = 24 }, async (job, _) =>
        {
            await SpreadCalls.Retry(() => SpreadCalls.Through(fixture.Cluster, job.Key).GetGrain<IJobGrain>(job.Key).SubmitAsync(job.Value, PostgresClusterFixture.BatchSpec(Service)));
            submitted.Add(job.Key);
        });

        var crashed = duringRun is null;
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            Assert.True(DateTime.UtcNow < deadline, "jobs did not all end in time");
            if (!crashed && submitted.Count >= jobs.Count / 3)
            {
                crashed = true;
                await duringRun!();
            }

            var views = await Task.WhenAll(submitted.Select(id => SpreadCalls.Retry(() => SpreadCalls.Through(fixture.Cluster, id).GetGrain<IJobGrain>(id).GetAsync())));
            if (submitting.IsCompleted && views.Length == jobs.Count && views.All(v => JobStateMachine.IsTerminal(v!.Status)))
            {
                break;
            }

            await Task.WhenAll(views.Where(v => v!.Status == JobStatus.Pending)
                .Select(v => SpreadCalls.Retry(() => SpreadCalls.Through(fixture.Cluster, v!.Id).GetGrain<IJobGrain>(v!.Id).CancelAsync())));
            await Task.Delay(100);
        }

        await submitting;
        return jobs;
    }

    private async Task AssertConsistentAsync(string[] users, Dictionary<string, string> jobs)
    {
        var client = fixture.Cluster.Client;
        var views = await Task.WhenAll(jobs.Keys.Select(id => client.GetGrain<IJobGrain>(id).GetAsync()));
        foreach (var view in views)
        {
            Assert.NotNull(view);
            Assert.Equal([JobStatus.Queued, JobStatus.Pending, JobStatus.Cancelled], view.History.Select(h => h.Status));
        }

        // From the persisted histories: at no instant did more than the cap hold a slot, across both users.
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

        Assert.InRange(most, 1, PostgresClusterFixture.Cap);

        // No slot leaked: neither user holds or waits for anything, and the service runs nothing.
        foreach (var user in users)
        {
            var usage = await client.GetGrain<IQuotaGrain>(QuotaKey.For(user, Service)).GetUsageAsync();
            Assert.Equal((0, 0, (int?)0), (usage.Running, usage.Queued, usage.ServiceRunning));
        }
    }


}
