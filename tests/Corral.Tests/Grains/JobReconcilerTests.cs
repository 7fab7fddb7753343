using Corral.Jobs;
using Corral.Quotas;
using Corral.Reconciling;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// The safety net that replaced a reminder per job, on PostgreSQL storage: unfinished jobs are marked in their rows
/// of the job index, and a sweep wakes those nobody messages any more.
/// </summary>
public sealed class JobReconcilerTests : IClassFixture<PostgresClusterFixture>
{
    private readonly PostgresClusterFixture _fixture;

    public JobReconcilerTests(PostgresClusterFixture fixture) => _fixture = fixture;

    private IServiceProvider SiloServices => _fixture.Cluster.Silos.OfType<InProcessSiloHandle>().First().SiloHost.Services;

    [Fact]
    public async Task A_job_persisted_queued_whose_quota_never_heard_of_it_is_admitted_by_the_sweep()
    {
        // What a crash right after the job's first write leaves behind: the job stored as queued, nothing else.
        var user = "strand" + Guid.NewGuid().ToString("N")[..8];
        var id = Guid.NewGuid().ToString("N");
        var job = _fixture.Cluster.Client.GetGrain<IJobGrain>(id);
        var submittedAt = DateTimeOffset.UtcNow;
        var stranded = new JobState
        {
            User = user,
            Spec = PostgresClusterFixture.BatchSpec(),
            Status = JobStatus.Queued,
            SubmittedAt = submittedAt,
            History = [new JobTransition(JobStatus.Queued, submittedAt, null)],
        };
        var store = SiloServices.GetRequiredKeyedService<IGrainStorage>(GrainStorage.Name);
        var index = SiloServices.GetRequiredService<IJobIndex>();
        await index.SaveAsync(JobRow.Of(id, stranded), () => store.WriteStateAsync("job", job.GetGrainId(), new GrainState<JobState>(stranded)));

        Assert.Contains(id, await index.ListUnfinishedAsync(TimeSpan.Zero, null, 100_000));

        // The reminder's own sweep, without waiting a minute for it.
        var sweep = await _fixture.SweepAsync(JobReconcilerGrain.WaitingJobsQuietFor);
        Assert.Contains(id, sweep.Jobs);

        // No worker exists, so an admitted job waits pending, holding its slot.
        var quota = _fixture.Cluster.Client.GetGrain<IQuotaGrain>(QuotaKey.For(user, PostgresClusterFixture.Service));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await job.GetAsync())!.Status != JobStatus.Pending)
        {
            Assert.True(DateTime.UtcNow < deadline, "the swept job was not admitted");
            await Task.Delay(100);
        }

        Assert.Equal(1, (await quota.GetUsageAsync()).Running);
    }

    [Fact]
    public async Task A_job_waiting_in_its_quotas_queue_is_left_to_its_quota_which_the_sweep_wakes_and_is_woken_itself_once_quiet_long()
    {
        // The quota's slots all held (no worker exists, so admitted jobs wait pending), and one job more waiting.
        var user = "queue" + Guid.NewGuid().ToString("N")[..8];
        var holding = new List<string>();
        for (var i = 0; i < PostgresClusterFixture.Limit; i++)
        {
            holding.Add(await SubmitAsync(user));
        }

        var waiting = await SubmitAsync(user);
        Assert.Equal(JobStatus.Queued, (await _fixture.Cluster.Client.GetGrain<IJobGrain>(waiting).GetAsync())!.Status);
        var quota = _fixture.Cluster.Client.GetGrain<IQuotaGrain>(QuotaKey.For(user, PostgresClusterFixture.Service)).GetGrainId();

        var sweep = await _fixture.SweepAsync(JobReconcilerGrain.WaitingJobsQuietFor);

        Assert.Contains(quota, sweep.Quotas);
        Assert.DoesNotContain(waiting, sweep.Jobs);
        Assert.All(holding, id => Assert.Contains(id, sweep.Jobs));

        // Quiet long enough (here: at once), the waiting job is woken too, and stays queued.
        var longQuiet = await _fixture.SweepAsync(TimeSpan.Zero);
        Assert.Contains(waiting, longQuiet.Jobs);
        Assert.Equal(JobStatus.Queued, (await _fixture.Cluster.Client.GetGrain<IJobGrain>(waiting).GetAsync())!.Status);

        foreach (var id in holding.Append(waiting))
        {
            await _fixture.Cluster.Client.GetGrain<IJobGrain>(id).CancelAsync();
        }

        Assert.DoesNotContain(quota, (await _fixture.SweepAsync(JobReconcilerGrain.WaitingJobsQuietFor)).Quotas);
    }

    private async Task<string> SubmitAsync(string user)
    {
        var id = Guid.NewGuid().ToString("N");
        await _fixture.Cluster.Client.GetGrain<IJobGrain>(id).SubmitAsync(user, PostgresClusterFixture.BatchSpec());
        return id;
    }

    [Fact]
    public async Task A_job_that_ended_and_gave_back_its_slot_is_no_longer_swept()
    {
        var id = Guid.NewGuid().ToString("N");
        var job = _fixture.Cluster.Client.GetGrain<IJobGrain>(id);
        await job.SubmitAsync("ended" + Guid.NewGuid().ToString("N")[..8], PostgresClusterFixture.BatchSpec());
        var index = SiloServices.GetRequiredService<IJobIndex>();
        Assert.Contains(id, await index.ListUnfinishedAsync(TimeSpan.Zero, null, 100_000));

        await job.CancelAsync();

        Assert.DoesNotContain(id, await index.ListUnfinishedAsync(TimeSpan.Zero, null, 100_000));
    }

    [Fact]
    public async Task A_row_that_missed_the_jobs_last_write_is_corrected_by_the_sweep_and_not_woken_again()
    {
        // What 012_job_index.sql leaves for a job of the earlier schema: a row that says queued and unfinished.
        var id = Guid.NewGuid().ToString("N");
        var job = _fixture.Cluster.Client.GetGrain<IJobGrain>(id);
        await job.SubmitAsync("stale" + Guid.NewGuid().ToString("N")[..8], PostgresClusterFixture.BatchSpec());
        await job.CancelAsync();
        var index = SiloServices.GetRequiredService<IJobIndex>();
        var view = (await job.GetAsync())!;
        await index.WriteRowAsync(new JobRow(
            id, view.User, "", JobKind.Batch, JobStatus.Queued, null, null, null, null, view.SubmittedAt, null, null, Unfinished: true));

        await _fixture.SweepAsync(JobReconcilerGrain.WaitingJobsQuietFor);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await _fixture.CountAsync("SELECT count(*) FROM corral_jobs WHERE job_id = $1 AND status = 'Cancelled' AND service = $2 AND NOT unfinished",
            id, PostgresClusterFixture.Service) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the sweep did not correct the row");
            await Task.Delay(100);
        }

        Assert.DoesNotContain(id, await index.ListUnfinishedAsync(TimeSpan.Zero, null, 100_000));
    }
}
