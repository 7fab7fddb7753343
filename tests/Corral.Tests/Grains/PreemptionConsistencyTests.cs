using System.Collections.Concurrent;
using Corral.Jobs;
using Corral.Quotas;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// Preemption under concurrency and a silo crash, on PostgreSQL storage (service "rush": cap 3, preemption on; service
/// "selfrush": no cap, 2 per user, preemption on). The service starts full of low-priority jobs (every user at their
/// quota, without a cap); then three users submit low, normal and high jobs in parallel through every silo while one
/// silo is killed. Admitted jobs (no worker exists, so they wait pending) are cancelled as they appear, except the first
/// low ones until every job is in, so the high ones find them to preempt.
/// </summary>
public sealed class PreemptionConsistencyTests(PostgresClusterFixture fixture) : IClassFixture<PostgresClusterFixture>
{
    private static readonly JobPriority[] Mix = [JobPriority.Low, JobPriority.Normal, JobPriority.High];

    [Fact]
    public async Task HighJobsPreemptingAcrossSilos_WithASiloKilled_EveryJobEndsOnce_NeverMoreThanTheCapHold_AndNoSlotLeaks()
    {
        var users = NewUsers();
        var first = Lows(users.Take(1), PostgresClusterFixture.Cap);
        // Never more than the cap across all users.
        await RunAsync(PostgresClusterFixture.PreemptiveService, users, first, PostgresClusterFixture.Cap, _ => string.Empty);
    }

    [Fact]
    public async Task HighJobsPreemptingTheirOwnUsersJobs_InAServiceWithoutACap_WithASiloKilled_EveryJobEndsOnce_NeverMoreThanEachQuotaHolds()
    {
        var users = NewUsers();
        var first = Lows(users, PostgresClusterFixture.OwnLimit);
        // Never more than each user's own quota.
        await RunAsync(PostgresClusterFixture.OwnPreemptiveService, users, first, PostgresClusterFixture.OwnLimit, view => view.User);
    }

    private static string[] NewUsers() => [.. new[] { "pa", "pb", "pc" }.Select(p => p + Guid.NewGuid().ToString("N")[..8])];

    private static Dictionary<string, (string User, JobPriority Priority)> Lows(IEnumerable<string> users, int each) =>
        users.SelectMany(user => Enumerable.Range(0, each).Select(_ => (User: user, Priority: JobPriority.Low)))
            .ToDictionary(_ => Guid.NewGuid().ToString("N"), job => job);

    /// <summary>
    /// Submits <paramref name="first"/>, then the mix of the three users in parallel with a silo killed meanwhile, and
    /// checks every history; at no instant may more than <paramref name="bound"/> jobs of one group (as
    /// <paramref name="groupOf"/> names it) hold a slot.
    /// </summary>
    private async Task RunAsync(
        string service, string[] users, Dictionary<string, (string User, JobPriority Priority)> first, int bound, Func<JobView, string> groupOf)
    {
        JobSpec Spec(JobPriority priority) => PostgresClusterFixture.BatchSpec(service) with { Priority = priority };

        foreach (var (id, (user, priority)) in first)
        {
            await SpreadCalls.Through(fixture.Cluster, id).GetGrain<IJobGrain>(id).SubmitAsync(user, Spec(priority));
        }

        var jobs = Enumerable.Range(0, 30).SelectMany(i => users.Select((user, u) => (User: user, Priority: Mix[(i + u) % Mix.Length])))
            .ToDictionary(_ => Guid.NewGuid().ToString("N"), job => job);
        var submitted = new ConcurrentBag<string>(first.Keys);
        var submitting = Parallel.ForEachAsync(jobs, new ParallelOptions { MaxDegreeOfParallelism = 24 }, async (job, _) =>
        {
            await SpreadCalls.Retry(() => SpreadCalls.Through(fixture.Cluster, job.Key).GetGrain<IJobGrain>(job.Key).SubmitAsync(job.Value.User, Spec(job.Value.Priority)));
            submitted.Add(job.Key);
        });

        var crashed = false;
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            Assert.True(DateTime.UtcNow < deadline, "jobs did not all end in time");
            if (!crashed && submitted.Count >= jobs.Count / 3)
            {
                crashed = true;
                await fixture.Cluster.KillSiloAsync(fixture.Cluster.Silos.First(s => s != fixture.Cluster.Primary));
                await fixture.Cluster.StartAdditionalSiloAsync();
            }

            var views = await Task.WhenAll(submitted.Select(id => SpreadCalls.Retry(() => SpreadCalls.Through(fixture.Cluster, id).GetGrain<IJobGrain>(id).GetAsync())));
            if (submitting.IsCompleted && views.Length == jobs.Count + first.Count && views.All(v => JobStateMachine.IsTerminal(v!.Status)))
            {
                break;
            }

            await Task.WhenAll(views.Where(v => v!.Status == JobStatus.Pending && (submitting.IsCompleted || !first.ContainsKey(v.Id)))
                .Select(v => SpreadCalls.Retry(() => SpreadCalls.Through(fixture.Cluster, v!.Id).GetGrain<IJobGrain>(v!.Id).CancelAsync())));
            await Task.Delay(100);
        }

        await submitting;
        var all = await Task.WhenAll(first.Keys.Concat(jobs.Keys).Select(id => fixture.Cluster.Client.GetGrain<IJobGrain>(id).GetAsync()));
        var preempted = 0;
        foreach (var view in all)
        {
            Assert.NotNull(view);
            var statuses = view.History.Select(h => h.Status).ToList();
            // Queued, then (admitted, preempted back to queued) any number of times, then at most one admission; one end.
            Assert.Equal(JobStatus.Cancelled, statuses[^1]);
            Assert.Single(statuses, JobStateMachine.IsTerminal);
            Assert.Equal(JobStatus.Queued, statuses[0]);
            var middle = statuses.Skip(1).SkipLast(1).ToList();
            Assert.All(middle.Where((_, i) => i % 2 == 0), s => Assert.Equal(JobStatus.Pending, s));
            Assert.All(middle.Where((_, i) => i % 2 == 1), s => Assert.Equal(JobStatus.Queued, s));
            var times = view.History.Count(h => h.Message?.StartsWith("preempted by job ", StringComparison.Ordinal) == true);
            Assert.Equal(middle.Count(s => s == JobStatus.Queued), times);
            Assert.True(times == 0 || view.Priority != JobPriority.High, $"high job {view.Id} was preempted");
            preempted += times;
        }

        Assert.True(preempted >= 1, "no job was preempted");

        // From the persisted histories: at no instant did more than the bound hold a slot in a group (a spell runs
        // from each admission to the job's next step).
        foreach (var group in all.GroupBy(v => groupOf(v!)))
        {
            var edges = group.SelectMany(v => v!.History.Zip(v.History.Skip(1))
                    .Where(pair => pair.First.Status == JobStatus.Pending)
                    .SelectMany(pair => new[] { (pair.First.At, Delta: +1), (pair.Second.At, Delta: -1) }))
                .OrderBy(e => e.At).ThenBy(e => e.Delta);
            var holding = 0;
            var most = 0;
            foreach (var edge in edges)
            {
                holding += edge.Delta;
                most = Math.Max(most, holding);
            }

            Assert.InRange(most, 1, bound);
        }

        foreach (var user in users)
        {
            var usage = await fixture.Cluster.Client.GetGrain<IQuotaGrain>(QuotaKey.For(user, service)).GetUsageAsync();
            Assert.Equal((0, 0), (usage.Running, usage.Queued));
            Assert.True(usage.ServiceRunning is null or 0, $"{usage.ServiceRunning} still run in the service");
        }
    }


}
