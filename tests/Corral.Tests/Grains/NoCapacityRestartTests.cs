using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// The no-capacity grace of a pending job runs on across a restart of the whole cluster on PostgreSQL: when the
/// wait began is persisted with the job, not restarted by the silo that wakes it.
/// </summary>
public sealed class NoCapacityRestartTests(PostgresClusterFixture fixture) : IClassFixture<PostgresClusterFixture>
{
    [Fact]
    public async Task AfterAClusterRestart_AJobNoWorkerCouldHold_FailsNoCapacityWhenItsOriginalGraceEnds()
    {
        // No worker is registered in this cluster: nothing live could ever hold the job.
        var id = Guid.NewGuid().ToString("N");
        await Job(id).SubmitAsync("nc" + Guid.NewGuid().ToString("N")[..8], PostgresClusterFixture.BatchSpec());
        await EventuallyAsync(id, v => v.Message == "waiting for a worker: no worker is registered and alive");
        fixture.NoCapacityClock.Advance(PostgresClusterFixture.NoCapacityGrace - TimeSpan.FromMinutes(1));

        await fixture.RestartClusterAsync();

        await Job(id).ReconcileAsync();
        Assert.Equal(JobStatus.Pending, (await Job(id).GetAsync())!.Status);
        fixture.NoCapacityClock.Advance(TimeSpan.FromMinutes(1));
        await Job(id).ReconcileAsync();
        var failed = await EventuallyAsync(id, v => v.FinishedAt is not null);
        Assert.Equal((JobStatus.Failed, TerminationReason.NoCapacity), (failed.Status, failed.TerminationReason));
        Assert.Equal(
            "no live worker could ever hold this job for 600 s: waiting for a worker: no worker is registered and alive",
            failed.Message);
    }

    private IJobGrain Job(string id) => fixture.Cluster.Client.GetGrain<IJobGrain>(id);

    private async Task<JobView> EventuallyAsync(string id, Func<JobView, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var view = (await Job(id).GetAsync())!;
            if (condition(view))
            {
                return view;
            }

            Assert.True(DateTime.UtcNow < deadline, $"job {id} is {view.Status}: {view.Message}");
            await Task.Delay(100);
        }
    }
}
