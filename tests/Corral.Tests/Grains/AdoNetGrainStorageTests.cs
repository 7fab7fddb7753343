using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// The fallback store (CORRAL_GRAIN_STORAGE=adonet): job state in Orleans' own table, one commit per write, and the
/// job index still written, so lists and the reconciler work the same.
/// </summary>
public sealed class AdoNetGrainStorageTests : IClassFixture<AdoNetClusterFixture>
{
    private readonly AdoNetClusterFixture _fixture;

    public AdoNetGrainStorageTests(AdoNetClusterFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task A_job_runs_to_its_end_on_the_fallback_store_and_its_row_follows_it()
    {
        var user = "fallback" + Guid.NewGuid().ToString("N")[..8];
        var id = Guid.NewGuid().ToString("N");
        var job = _fixture.Cluster.Client.GetGrain<IJobGrain>(id);

        var submitted = await job.SubmitAsync(user, PostgresClusterFixture.BatchSpec());
        Assert.Equal(JobStatus.Pending, submitted.Status);
        Assert.Equal(1, await _fixture.CountAsync(
            "SELECT count(*) FROM corral_jobs WHERE job_id = $1 AND user_name = $2 AND status = 'Pending' AND unfinished", id, user));

        // No worker exists in this cluster, so the job's end is the user's: cancelled, slot given back, row settled.
        var ended = await job.CancelAsync();

        Assert.Equal(JobStatus.Cancelled, ended.Status);
        Assert.Equal(1, await _fixture.CountAsync(
            "SELECT count(*) FROM corral_jobs WHERE job_id = $1 AND status = 'Cancelled' AND reason = 'CancelledByUser' AND NOT unfinished", id));
        Assert.Equal(0, (await _fixture.Cluster.Client.GetGrain<Corral.Quotas.IQuotaGrain>(
            Corral.Quotas.QuotaKey.For(user, PostgresClusterFixture.Service)).GetUsageAsync()).Running);
        // The state is not in the group-commit store's table, yet it survives the grain's deactivation: it is in
        // Orleans' own.
        Assert.Equal(0, await _fixture.CountAsync("SELECT count(*) FROM corral_grain_state WHERE grain_id = $1", "job/" + id));
        await _fixture.Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        Assert.Equal(JobStatus.Cancelled, (await job.GetAsync())!.Status);
    }
}
