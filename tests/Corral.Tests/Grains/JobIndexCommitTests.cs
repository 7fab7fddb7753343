using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>Through Orleans' own path (the grain's persistent state), a job's write and its row share one transaction.</summary>
public sealed class JobIndexCommitTests : IClassFixture<PostgresClusterFixture>
{
    private readonly PostgresClusterFixture _fixture;

    public JobIndexCommitTests(PostgresClusterFixture fixture) => _fixture = fixture;

    /// <summary>Whether the job's state row and its index row were last written by the same transaction (xmin).</summary>
    private Task<long> SameTransactionAsync(string id) => _fixture.CountAsync(
        "SELECT count(*) FROM corral_grain_state g JOIN corral_jobs j ON g.grain_id = 'job/' || j.job_id " +
        "WHERE j.job_id = $1 AND g.state_name = 'job' AND g.xmin::text = j.xmin::text", id);

    [Fact]
    public async Task A_jobs_state_and_its_index_row_are_written_by_the_same_transaction_at_each_step()
    {
        var id = Guid.NewGuid().ToString("N");
        var job = _fixture.Cluster.Client.GetGrain<IJobGrain>(id);

        await job.SubmitAsync("commits" + Guid.NewGuid().ToString("N")[..8], PostgresClusterFixture.BatchSpec());
        Assert.Equal(1, await SameTransactionAsync(id));

        await job.CancelAsync();
        Assert.Equal(1, await SameTransactionAsync(id));
        Assert.Equal(1, await _fixture.CountAsync("SELECT count(*) FROM corral_jobs WHERE job_id = $1 AND status = 'Cancelled'", id));
    }
}
