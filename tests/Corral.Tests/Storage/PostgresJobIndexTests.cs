using Corral.Jobs;
using Corral.Quotas;
using Corral.Storage;
using Orleans.Storage;
using Xunit;

namespace Corral.Tests.Storage;

/// <summary>The job index on a real PostgreSQL: written with the job's state, read by lists and the reconciler.</summary>
public sealed class PostgresJobIndexTests : IClassFixture<GrainStoreDatabase>
{
    private readonly GrainStoreDatabase _db;
    private readonly PostgresJobIndex _index;

    public PostgresJobIndexTests(GrainStoreDatabase db)
    {
        _db = db;
        _index = new PostgresJobIndex(db.Statements, db.Database);
    }

    private static JobRow Row(string id, string user, JobStatus status, bool unfinished, DateTimeOffset? submittedAt = null) => new(
        id, user, "svc", JobKind.Batch, status, status == JobStatus.Failed ? TerminationReason.ExitCode : null, "note",
        status == JobStatus.Failed ? 3 : null, "w1", submittedAt ?? DateTimeOffset.UtcNow, null, null, unfinished);

    [Fact]
    public async Task A_row_saved_with_a_state_goes_into_the_same_commit_and_reads_back()
    {
        var before = _db.Statements.Totals;
        var row = Row("samecommit", "alice", JobStatus.Failed, unfinished: false);
        await _index.SaveAsync(row, () => _db.Store.WriteStateAsync(
            "quota", GrainId.Create("quota", "alice/samecommit"), new GrainState<QuotaState>(new QuotaState())));

        var after = _db.Statements.Totals;
        Assert.Equal(2, after.Statements - before.Statements);
        Assert.Equal(1, after.Commits - before.Commits);
        // The same transaction wrote both rows.
        Assert.Equal(1, await _db.CountAsync(
            "SELECT count(*) FROM corral_jobs j, corral_grain_state g WHERE j.job_id = 'samecommit' " +
            "AND g.grain_id = 'quota/alice/samecommit' AND j.xmin::text = g.xmin::text"));
        Assert.Equal(1, await _db.CountAsync(
            "SELECT count(*) FROM corral_jobs WHERE job_id = 'samecommit' AND user_name = 'alice' AND status = 'Failed' " +
            "AND reason = 'ExitCode' AND exit_code = 3 AND worker = 'w1' AND message = 'note' AND NOT unfinished"));
    }

    [Fact]
    public async Task A_row_is_not_written_when_its_state_was_not()
    {
        // A state kept elsewhere (Orleans' ADO.NET store) is written first; its failure leaves no row behind.
        await Assert.ThrowsAsync<InconsistentStateException>(() => _index.SaveAsync(
            Row("nostate", "alice", JobStatus.Queued, unfinished: true),
            () => Task.FromException(new InconsistentStateException("conflict"))));

        Assert.Equal(0, await _db.CountAsync("SELECT count(*) FROM corral_jobs WHERE job_id = 'nostate'"));
    }

    [Fact]
    public async Task The_reconciler_sees_unfinished_rows_once_quiet_in_id_order_and_not_finished_ones()
    {
        await _index.WriteRowAsync(Row("unf-b", "bob", JobStatus.Running, unfinished: true));
        await _index.WriteRowAsync(Row("unf-a", "bob", JobStatus.Queued, unfinished: true));
        await _index.WriteRowAsync(Row("unf-c", "bob", JobStatus.Succeeded, unfinished: false));

        var quiet = (await _index.ListUnfinishedAsync(TimeSpan.Zero, "unf-", 100)).Where(id => id.StartsWith("unf-")).ToArray();
        Assert.Equal(["unf-a", "unf-b"], quiet);
        Assert.Equal(["unf-b"], (await _index.ListUnfinishedAsync(TimeSpan.Zero, "unf-a", 1)).ToArray());
        Assert.DoesNotContain("unf-a", await _index.ListUnfinishedAsync(TimeSpan.FromMinutes(1), null, 100_000));

        // The job ended and gave everything back: its row says so, and the reconciler leaves it be.
        await _index.WriteRowAsync(Row("unf-a", "bob", JobStatus.Cancelled, unfinished: false));
        Assert.DoesNotContain("unf-a", await _index.ListUnfinishedAsync(TimeSpan.Zero, null, 100_000));
    }

    [Fact]
    public async Task A_users_ids_are_listed_newest_first_and_a_rewritten_row_is_listed_once()
    {
        var start = DateTimeOffset.UtcNow;
        await _index.WriteRowAsync(Row("ids-1", "carol", JobStatus.Queued, true, start));
        await _index.WriteRowAsync(Row("ids-2", "carol", JobStatus.Queued, true, start.AddSeconds(1)));
        await _index.WriteRowAsync(Row("ids-1", "carol", JobStatus.Pending, true, start));
        await _index.WriteRowAsync(Row("ids-3", "dave", JobStatus.Queued, true, start.AddSeconds(2)));

        Assert.Equal(["ids-2", "ids-1"], (await _index.ListIdsAsync("carol", 10)).ToArray());
        Assert.Equal(["ids-2"], (await _index.ListIdsAsync("carol", 1)).ToArray());
    }
}
