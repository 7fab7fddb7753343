using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// Budgets per user and service (SERVICE_&lt;NAME&gt;_CPU_SECONDS_PER_USER_PER_DAY, _JOBS_PER_USER_PER_HOUR) and burst
/// (_BURST_PER_USER), on the budgets' own clock, which the tests move. No worker is registered: admitted jobs wait
/// pending, and cancelling them frees their slots; a job's CPU time is its counters, as its host agent reports them.
/// </summary>
[Collection(InMemoryClusterCollection.Name)]
public sealed class BudgetTests(InMemoryClusterFixture fixture)
{
    private readonly CappedServiceJobs _jobs = new(fixture.Grains);

    [Fact]
    public async Task CappedService_CpuBudgetSpent_NextJobWaitsWithTheReason_OthersRun_UntilTheWindowMovesOn()
    {
        var user = CappedServiceJobs.NewUser();
        var other = CappedServiceJobs.NewUser();
        var first = await _jobs.SubmitAsync(user, "budgeted", 1);
        var later = new List<string>();
        try
        {
            await CappedServiceJobs.EventuallyAsync(async () => (await _jobs.ViewAsync(first[0])).Status == JobStatus.Pending);
            await fixture.Grains.GetGrain<IJobGrain>(first[0]).ReportCountersAsync(
                new JobCounters(0, 0, 0, CpuSeconds: InMemoryClusterFixture.BudgetedCpuSecondsPerDay));
            await CappedServiceJobs.EventuallyAsync(async () => (await _jobs.ViewAsync(first[0])).CpuSeconds > 0);
            await fixture.Grains.GetGrain<IJobGrain>(first[0]).CancelAsync();

            later.AddRange(await _jobs.SubmitAsync(user, "budgeted", 1));
            var held = await _jobs.ViewAsync(later[0]);
            Assert.Equal(JobStatus.Queued, held.Status);
            Assert.Equal("waiting: budget spent (cpu-seconds 100/100 per day)", held.Message);
            var figures = (await fixture.Grains.GetGrain<Corral.Quotas.IServiceQuotaGrain>("budgeted").GetUsageAsync(user)).Budgets!;
            Assert.Equal(new Corral.Quotas.BudgetFigure("cpu-seconds", 100, 100, "day"), Assert.Single(figures));

            // The budget is the user's own: another user runs in the idle slot.
            later.AddRange(await _jobs.SubmitAsync(other, "budgeted", 1));
            Assert.Equal(JobStatus.Pending, (await _jobs.ViewAsync(later[1])).Status);

            // Not yet: the spending is still within the day.
            fixture.BudgetClock.Advance(TimeSpan.FromHours(22));
            await Task.Delay(300);
            Assert.Equal(JobStatus.Queued, (await _jobs.ViewAsync(later[0])).Status);

            // A day on, the spending has left the window and the grain's budget timer admits the job.
            fixture.BudgetClock.Advance(TimeSpan.FromHours(2));
            await CappedServiceJobs.EventuallyAsync(async () => (await _jobs.ViewAsync(later[0])).Status == JobStatus.Pending);
        }
        finally
        {
            await _jobs.CancelAllAsync(first.Concat(later));
        }
    }

    [Fact]
    public async Task UncappedService_JobsPerHourSpent_NextJobWaitsEvenWithFreeSlots_UntilTheHourMovesOn()
    {
        var user = CappedServiceJobs.NewUser();
        var ids = await _jobs.SubmitAsync(user, "hourly", InMemoryClusterFixture.HourlyJobsPerHour + 1);
        try
        {
            Assert.Equal(ids.Take(2), await _jobs.PendingAsync(ids));
            Assert.Equal("waiting: budget spent (jobs 2/2 per hour)", (await _jobs.ViewAsync(ids[2])).Message);

            // The user sees what they spent of it.
            var usage = await fixture.Grains.GetGrain<Corral.Quotas.IQuotaGrain>(Corral.Quotas.QuotaKey.For(user, "hourly")).GetUsageAsync();
            Assert.Equal([new Corral.Quotas.BudgetFigure("jobs", 2, 2, "hour")], usage.Budgets!);

            // Both end: the quota (5) has room, but the hour's jobs are spent.
            await _jobs.CancelAllAsync(ids.Take(2));
            await Task.Delay(300);
            var held = await _jobs.ViewAsync(ids[2]);
            Assert.Equal(JobStatus.Queued, held.Status);
            Assert.Equal("waiting: budget spent (jobs 2/2 per hour)", held.Message);

            fixture.BudgetClock.Advance(TimeSpan.FromHours(1));
            await CappedServiceJobs.EventuallyAsync(async () => (await _jobs.ViewAsync(ids[2])).Status == JobStatus.Pending);
        }
        finally
        {
            await _jobs.CancelAllAsync(ids);
        }
    }

    [Fact]
    public async Task Burst_OneUserTakesIdleSlotsBeyondTheirQuota_ButAFreedSlotGoesToAnotherUserWithinTheirs()
    {
        var greedy = CappedServiceJobs.NewUser();
        var second = CappedServiceJobs.NewUser();
        var third = CappedServiceJobs.NewUser();
        var greedyJobs = await _jobs.SubmitAsync(greedy, "bursty", 3);
        var others = new List<string>();
        try
        {
            // Quota 1 plus burst 1 while the service (cap 3) is idle; the third waits on the user's quota.
            Assert.Equal(greedyJobs.Take(2), await _jobs.PendingAsync(greedyJobs));
            Assert.Equal("waiting: user quota 2/1", (await _jobs.ViewAsync(greedyJobs[2])).Message);

            others.AddRange(await _jobs.SubmitAsync(second, "bursty", 1));
            others.AddRange(await _jobs.SubmitAsync(third, "bursty", 1));
            Assert.Equal(JobStatus.Pending, (await _jobs.ViewAsync(others[0])).Status);
            Assert.Equal("waiting: service cap 3/3", (await _jobs.ViewAsync(others[1])).Message);

            // The burst job ends: the third user, within their quota, goes before the greedy user's next burst.
            await fixture.Grains.GetGrain<IJobGrain>(greedyJobs[1]).CancelAsync();
            await CappedServiceJobs.EventuallyAsync(async () => (await _jobs.ViewAsync(others[1])).Status == JobStatus.Pending);
            Assert.Equal(JobStatus.Queued, (await _jobs.ViewAsync(greedyJobs[2])).Status);
        }
        finally
        {
            await _jobs.CancelAllAsync(greedyJobs.Concat(others));
        }
    }
}
