using Corral.Jobs;
using Corral.Quotas;
using Corral.Scheduling;
using Corral.Storage;
using Orleans.Storage;
using Xunit;

namespace Corral.Tests.Storage;

/// <summary>The quotas' waiting jobs on a real PostgreSQL: one row each, written in the same commit as the quota's state.</summary>
public sealed class PostgresWaitingJobStoreTests : IClassFixture<GrainStoreDatabase>
{
    private const string StateName = "quota";
    private readonly GrainStoreDatabase _db;
    private readonly PostgresWaitingJobStore _store;

    public PostgresWaitingJobStoreTests(GrainStoreDatabase db)
    {
        _db = db;
        _store = new PostgresWaitingJobStore(db.Statements, db.Database);
    }

    [Fact]
    public async Task Rows_SavedWithTheState_GoIntoTheSameCommit_AndReadBack()
    {
        var quota = NewQuota();
        var state = new GrainState<QuotaState>(new QuotaState { NextSeq = 2 });
        var before = _db.Statements.Totals;

        await _store.SaveAsync(quota, StateName, [Job("a", 0, JobPriority.High), Job("b", 1)], [], Write(quota, state));

        var after = _db.Statements.Totals;
        Assert.Equal((1, 2), (after.Commits - before.Commits, after.Statements - before.Statements));
        Assert.Equal(2, await _db.CountAsync(
            "SELECT count(*) FROM corral_quota_waiting w, corral_grain_state g " +
            $"WHERE w.quota_key = '{quota}' AND g.grain_id = '{quota}' AND w.xmin::text = g.xmin::text"));
        var loaded = (await _store.LoadAsync(quota)).OrderBy(j => j.Seq).ToList();
        Assert.Equal([Job("a", 0, JobPriority.High), Job("b", 1)], loaded);
    }

    [Fact]
    public async Task Changes_StoreOnlyWhatChanged_DeletedRowsGo_AndAMovedJobKeepsItsRow()
    {
        var quota = NewQuota();
        var state = new GrainState<QuotaState>(new QuotaState());
        await _store.SaveAsync(quota, StateName, [Job("a", 0), Job("b", 1), Job("c", 2)], [], Write(quota, state));

        await _store.SaveAsync(quota, StateName, [Job("c", 2, JobPriority.High)], ["a"], Write(quota, state));

        var loaded = (await _store.LoadAsync(quota)).OrderBy(j => j.Seq).ToList();
        Assert.Equal([Job("b", 1), Job("c", 2, JobPriority.High)], loaded);
    }

    [Fact]
    public async Task AFailedStateWrite_WritesAndDeletesNoRows()
    {
        var quota = NewQuota();
        var state = new GrainState<QuotaState>(new QuotaState());
        await _store.SaveAsync(quota, StateName, [Job("kept", 0)], [], Write(quota, state));

        // Another activation wrote the state since: this one's version is stale, its write matches no row.
        var stale = new GrainState<QuotaState>(new QuotaState()) { ETag = state.ETag };
        await Write(quota, state)();
        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            _store.SaveAsync(quota, StateName, [Job("never", 1)], ["kept"], Write(quota, stale)));

        Assert.Equal(["kept"], (await _store.LoadAsync(quota)).Select(j => j.JobId));
    }

    [Fact]
    public async Task AStateKeptElsewhere_IsWrittenFirst_AndItsFailureLeavesNoRows()
    {
        // Orleans' ADO.NET store writes outside the group commit: the rows follow a write that succeeded, and only that.
        var quota = NewQuota();
        await Assert.ThrowsAsync<InconsistentStateException>(() => _store.SaveAsync(
            quota, StateName, [Job("never", 0)], [], () => Task.FromException(new InconsistentStateException("conflict"))));
        Assert.Empty(await _store.LoadAsync(quota));

        await _store.SaveAsync(quota, StateName, [Job("after", 0)], [], () => Task.CompletedTask);
        Assert.Equal(["after"], (await _store.LoadAsync(quota)).Select(j => j.JobId));
    }

    [Fact]
    public async Task EachQuota_ReadsOnlyItsOwnRows()
    {
        var (one, two) = (NewQuota(), NewQuota());
        await _store.SaveAsync(one, StateName, [Job("x", 0)], [], Write(one, new GrainState<QuotaState>(new QuotaState())));
        await _store.SaveAsync(two, StateName, [Job("x", 0), Job("y", 1)], [], Write(two, new GrainState<QuotaState>(new QuotaState())));

        Assert.Single(await _store.LoadAsync(one));
        Assert.Equal(2, (await _store.LoadAsync(two)).Count);
    }

    private Func<Task> Write(GrainId quota, GrainState<QuotaState> state) =>
        () => _db.Store.WriteStateAsync(StateName, quota, state);

    private static GrainId NewQuota() => GrainId.Create("quota", "alice/" + Guid.NewGuid().ToString("N")[..8]);

    // Whole seconds, which a timestamptz keeps exactly.
    private static WaitingJob Job(string id, long seq, JobPriority priority = JobPriority.Normal) =>
        new(id, "alice", priority, seq, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
}
