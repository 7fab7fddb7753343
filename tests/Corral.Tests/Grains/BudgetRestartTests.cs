using Corral.Jobs;
using Corral.Quotas;
using Corral.Reconciling;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// A user's spent budget survives a restart of the whole cluster on PostgreSQL, and the restarted service grain wakes
/// the waiting job when the budget's window moves on (its timer is armed again when it activates).
/// </summary>
public sealed class BudgetRestartTests(PostgresClusterFixture fixture) : IClassFixture<PostgresClusterFixture>
{
    private const string Service = PostgresClusterFixture.MeteredService;

    [Fact]
    public async Task AfterAClusterRestart_TheSpentBudgetStillHolds_AndTheJobStartsWhenTheHourMovesOn()
    {
        var user = "bu" + Guid.NewGuid().ToString("N")[..8];
        var first = await SubmitAsync(user);
        var second = await SubmitAsync(user);
        Assert.Equal(JobStatus.Pending, (await View(first)).Status);
        Assert.Equal("waiting: budget spent (jobs 1/1 per hour)", (await View(second)).Message);
        await fixture.Cluster.Client.GetGrain<IJobGrain>(first).CancelAsync();

        await fixture.RestartClusterAsync();

        // The view's question activates the service's grain, which finds the budget spent and sets its timer.
        var waiting = await View(second);
        Assert.Equal((JobStatus.Queued, "waiting: budget spent (jobs 1/1 per hour)"), (waiting.Status, waiting.Message));
        fixture.BudgetClock.Advance(TimeSpan.FromMinutes(30));
        await Task.Delay(300);
        Assert.Equal(JobStatus.Queued, (await View(second)).Status);

        fixture.BudgetClock.Advance(TimeSpan.FromMinutes(30));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await View(second)).Status != JobStatus.Pending)
        {
            Assert.True(DateTime.UtcNow < deadline, "the waiting job was not admitted within 30 s of its budget freeing");
            await Task.Delay(100);
        }

        await fixture.Cluster.Client.GetGrain<IJobGrain>(second).CancelAsync();
    }

    [Fact]
    public async Task AfterAClusterRestart_NobodyAsking_TheSweepWakesTheServiceGrain_WhichStartsTheJobWhenTheHourMovesOn()
    {
        var user = "bs" + Guid.NewGuid().ToString("N")[..8];
        var first = await SubmitAsync(user);
        var second = await SubmitAsync(user);
        Assert.Equal("waiting: budget spent (jobs 1/1 per hour)", (await View(second)).Message);
        await fixture.Cluster.Client.GetGrain<IJobGrain>(first).CancelAsync();

        await fixture.RestartClusterAsync();

        // Nothing activates the waiting job or its service's grain but the reconciler's sweep, which wakes the grain
        // (arming its budget timer again) and leaves the job to it.
        var sweep = await fixture.SweepAsync(JobReconcilerGrain.WaitingJobsQuietFor);
        Assert.Contains(fixture.Cluster.Client.GetGrain<IServiceQuotaGrain>(Service).GetGrainId(), sweep.Quotas);
        Assert.DoesNotContain(second, sweep.Jobs);
        fixture.BudgetClock.Advance(TimeSpan.FromHours(1));

        // Read from the job index, which asks no grain.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await fixture.CountAsync("SELECT count(*) FROM corral_jobs WHERE job_id = $1 AND status = 'Pending'", second) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the waiting job was not admitted within 30 s of its budget freeing");
            await Task.Delay(100);
        }

        await fixture.Cluster.Client.GetGrain<IJobGrain>(second).CancelAsync();
    }

    private async Task<string> SubmitAsync(string user)
    {
        var id = Guid.NewGuid().ToString("N");
        await fixture.Cluster.Client.GetGrain<IJobGrain>(id).SubmitAsync(user, PostgresClusterFixture.BatchSpec(Service));
        return id;
    }

    private async Task<JobView> View(string id) => (await fixture.Cluster.Client.GetGrain<IJobGrain>(id).GetAsync())!;
}
