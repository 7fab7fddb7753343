using Corral.Jobs;
using Corral.Quotas;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// A running job's CPU time counts against its user's CPU-seconds budget while it runs (its reports to its quota), in a
/// service with a cap ("budgeted", one grain for the service) and one without ("daily", a grain per user), both 100
/// CPU-seconds per user per day; the budgets' clock is the tests' to move. Jobs run on a registered worker.
/// </summary>
[Collection(JobRetryGrainTests.Name)]
public sealed class RunningBudgetTests(InMemoryClusterFixture fixture)
{
    private readonly WorkerGrainsTestKit _kit = new(fixture);

    [Theory]
    [InlineData("budgeted")]
    [InlineData("daily")]
    public async Task ARunningJobPastTheBudget_HoldsBackTheUsersNextJob_WhileItRuns_UntilTheWindowMovesOn(string service)
    {
        await _kit.RegisterAsync("budget-live", cpu: 4);
        var user = WorkerGrainsTestKit.NewUser();
        var first = await _kit.SubmitAsync(user, service, 1);
        string? second = null;
        try
        {
            await RunOnItsWorkerAsync(first);
            await _kit.Job(first).ReportCountersAsync(new JobCounters(0, 0, 0, CpuSeconds: 100));

            // The view's figures count the running job's time.
            await SpentEventuallyAsync(user, service, 100);

            second = await _kit.SubmitAsync(user, service, 1);
            var held = (await _kit.Job(second).GetAsync())!;
            Assert.Equal((JobStatus.Queued, "waiting: budget spent (cpu-seconds 100/100 per day)"), (held.Status, held.Message));
            // Not ended for it: a budget holds back new jobs only.
            Assert.Equal(JobStatus.Running, (await _kit.Job(first).GetAsync())!.Status);

            fixture.BudgetClock.Advance(TimeSpan.FromHours(23));
            await Task.Delay(300);
            Assert.Equal(JobStatus.Queued, (await _kit.Job(second).GetAsync())!.Status);

            // A day on, the spending has left the window: the waiting job starts while the first still runs.
            fixture.BudgetClock.Advance(TimeSpan.FromHours(1));
            await _kit.EventuallyAsync(second, v => v.Status != JobStatus.Queued);
            Assert.Equal(JobStatus.Running, (await _kit.Job(first).GetAsync())!.Status);
        }
        finally
        {
            await _kit.Job(first).CancelAsync();
            if (second is not null)
            {
                await _kit.Job(second).CancelAsync();
            }
        }
    }

    [Theory]
    [InlineData("budgeted")]
    [InlineData("daily")]
    public async Task ReportsRepeatedOrStale_AndTheRelease_CountTheJobsTimeOnce(string service)
    {
        await _kit.RegisterAsync("budget-once", cpu: 4);
        var user = WorkerGrainsTestKit.NewUser();
        var id = await _kit.SubmitAsync(user, service, 1);
        var worker = await RunOnItsWorkerAsync(id);

        await _kit.Job(id).ReportCountersAsync(new JobCounters(0, 0, 0, CpuSeconds: 30));
        await SpentEventuallyAsync(user, service, 30);

        // The same totals again (a new activation of the job starts reporting from none) and a stale report.
        var quota = fixture.Grains.GetGrain<IQuotaGrain>(QuotaKey.For(user, service));
        await quota.NoteRunningTimeAsync(id, 30, 0);
        await quota.NoteRunningTimeAsync(id, 30, 0);
        await quota.NoteRunningTimeAsync(id, 20, 0);
        await _kit.Job(id).ReportCountersAsync(new JobCounters(0, 0, 0, CpuSeconds: 45));
        await SpentEventuallyAsync(user, service, 45);

        // The job ends with 52 CPU-seconds in all: the release counts the 7 not yet counted.
        await _kit.Job(id).CompleteAsync(worker, new JobOutcome(0, null, null, Attempt: 1, Counters: new JobCounters(0, 0, 0, CpuSeconds: 52)));
        await _kit.EventuallyAsync(id, v => v.Status == JobStatus.Succeeded);
        Assert.Equal(52, await SpentAsync(user, service));

        // A report that comes after the release counts nothing.
        await quota.NoteRunningTimeAsync(id, 80, 0);
        await Task.Delay(300);
        Assert.Equal(52, await SpentAsync(user, service));
    }

    [Fact]
    public async Task ABudgetSetOnlyAtRunTime_CountsARunningJobsTime()
    {
        // A service with no budget setting; an admin gives it one.
        const string service = "budget-by-admin";
        await fixture.Grains.GetGrain<IServiceQuotaGrain>(service).SetLimitsAsync(new LimitOverrides(CpuSecondsPerDay: 100));
        await _kit.RegisterAsync("budget-admin", cpu: 4);
        var user = WorkerGrainsTestKit.NewUser();
        var id = await _kit.SubmitAsync(user, service, 1);
        try
        {
            await RunOnItsWorkerAsync(id);
            await _kit.Job(id).ReportCountersAsync(new JobCounters(0, 0, 0, CpuSeconds: 100));
            await SpentEventuallyAsync(user, service, 100);
        }
        finally
        {
            await _kit.Job(id).CancelAsync();
        }
    }

    private async Task<string> RunOnItsWorkerAsync(string id)
    {
        var starting = await _kit.EventuallyAsync(id, v => v.Status == JobStatus.Starting && RecordingHostGrain.Launches.ContainsKey(id));
        await _kit.Job(id).ReportRunningAsync(starting.Worker!, null);
        return starting.Worker!;
    }

    /// <summary>The user's CPU-seconds spent in the service's day, as GET /api/quotas shows them.</summary>
    private async Task<double> SpentAsync(string user, string service)
    {
        var usage = await fixture.Grains.GetGrain<IQuotaGrain>(QuotaKey.For(user, service)).GetUsageAsync();
        var figure = Assert.Single(usage.Budgets!);
        Assert.Equal(("cpu-seconds", 100, "day"), (figure.Budget, figure.Limit, figure.Per));
        return figure.Spent;
    }

    private async Task SpentEventuallyAsync(string user, string service, double spent)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        double now;
        while ((now = await SpentAsync(user, service)) != spent)
        {
            Assert.True(DateTime.UtcNow < deadline, $"spent {now} cpu-seconds, not {spent}, within 10 s");
            await Task.Delay(50);
        }
    }
}
