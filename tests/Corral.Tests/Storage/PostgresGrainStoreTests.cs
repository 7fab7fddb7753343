using Corral.Quotas;
using Npgsql;
using Orleans.Storage;
using Xunit;

namespace Corral.Tests.Storage;

/// <summary>The group-commit grain store on a real PostgreSQL: round trips, optimistic concurrency, shared commits.</summary>
public sealed class PostgresGrainStoreTests : IClassFixture<GrainStoreDatabase>
{
    private readonly GrainStoreDatabase _db;

    public PostgresGrainStoreTests(GrainStoreDatabase db) => _db = db;

    private static GrainId Quota(string key) => GrainId.Create("quota", key);

    private static GrainState<QuotaState> Holding(params string[] jobs) => new(new QuotaState { Holders = [.. jobs] });

    [Fact]
    public async Task A_written_state_reads_back_in_a_fresh_object_with_its_version()
    {
        var id = Quota("alice/roundtrip");
        var written = Holding("j1", "j2");
        written.State!.Queue.Add("j3");
        await _db.Store.WriteStateAsync("quota", id, written);
        await _db.Store.WriteStateAsync("quota", id, written);

        var read = new GrainState<QuotaState>();
        await _db.Store.ReadStateAsync("quota", id, read);

        Assert.True(read.RecordExists);
        Assert.Equal("2", read.ETag);
        Assert.Equal(["j1", "j2"], read.State!.Holders);
        Assert.Equal(["j3"], read.State!.Queue);
    }

    [Fact]
    public async Task Reading_a_grain_never_written_gives_a_new_state_without_a_version()
    {
        var read = new GrainState<QuotaState>();
        await _db.Store.ReadStateAsync("quota", Quota("nobody/never"), read);

        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
        Assert.Empty(read.State!.Holders);
    }

    [Fact]
    public async Task A_write_over_a_version_it_did_not_read_is_refused_and_changes_nothing()
    {
        var id = Quota("alice/conflict");
        var current = Holding("a");
        await _db.Store.WriteStateAsync("quota", id, current);
        var readEarlier = current.ETag;
        current.State = new QuotaState { Holders = ["b"] };
        await _db.Store.WriteStateAsync("quota", id, current);

        var stale = new GrainState<QuotaState>(new QuotaState { Holders = ["stale"] }) { ETag = readEarlier };
        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => _db.Store.WriteStateAsync("quota", id, stale));
        Assert.Contains("changed elsewhere", error.Message);

        var read = new GrainState<QuotaState>();
        await _db.Store.ReadStateAsync("quota", id, read);
        Assert.Equal(["b"], read.State!.Holders);
    }

    [Fact]
    public async Task A_first_write_of_a_grain_that_already_exists_is_refused()
    {
        var id = Quota("alice/twice");
        await _db.Store.WriteStateAsync("quota", id, Holding("a"));

        await Assert.ThrowsAsync<InconsistentStateException>(() => _db.Store.WriteStateAsync("quota", id, Holding("b")));
    }

    [Fact]
    public async Task Clearing_removes_the_row_and_a_later_write_starts_again()
    {
        var id = Quota("alice/clear");
        var state = Holding("a");
        await _db.Store.WriteStateAsync("quota", id, state);
        await _db.Store.ClearStateAsync("quota", id, state);

        Assert.False(state.RecordExists);
        Assert.Equal(0, await _db.CountAsync("SELECT count(*) FROM corral_grain_state WHERE grain_id = 'quota/alice/clear'"));
        await _db.Store.WriteStateAsync("quota", id, state);
        Assert.Equal("1", state.ETag);
    }

    [Fact]
    public async Task Concurrent_writes_of_many_grains_share_commits_and_all_are_stored()
    {
        const int grains = 300;
        var before = _db.Statements.Totals;

        await Task.WhenAll(Enumerable.Range(0, grains).Select(i =>
            _db.Store.WriteStateAsync("quota", Quota($"many/{i}"), Holding($"job-{i}"))));

        var after = _db.Statements.Totals;
        Assert.Equal(grains, after.Statements - before.Statements);
        // With every write issued at once, most wait for a commit already in flight and share the next one.
        Assert.True(after.Commits - before.Commits <= grains / 4, $"{after.Commits - before.Commits} commits for {grains} writes");
        Assert.Equal(grains, await _db.CountAsync("SELECT count(*) FROM corral_grain_state WHERE grain_id LIKE 'quota/many/%'"));
    }

    [Fact]
    public async Task A_failing_statement_fails_alone_and_the_writes_it_shared_a_commit_with_are_stored_once()
    {
        var writes = Enumerable.Range(0, 100).Select(i =>
            _db.Store.WriteStateAsync("quota", Quota($"shared/{i}"), Holding($"job-{i}"))).ToList();
        var failing = _db.Statements.RunAsync("SELECT 1 / (SELECT count(*) FROM corral_grain_state WHERE false), NULL::bytea");
        writes.AddRange(Enumerable.Range(100, 100).Select(i =>
            _db.Store.WriteStateAsync("quota", Quota($"shared/{i}"), Holding($"job-{i}"))));

        await Task.WhenAll(writes);
        var error = await Assert.ThrowsAsync<PostgresException>(() => failing);
        Assert.Equal("22012", error.SqlState); // division_by_zero

        // Each row once, at version 1: nothing of a rolled-back batch was kept, and the retry wrote each once.
        Assert.Equal(200, await _db.CountAsync("SELECT count(*) FROM corral_grain_state WHERE grain_id LIKE 'quota/shared/%' AND etag = 1"));
    }

    [Fact]
    public void A_statement_without_a_result_set_is_refused_before_it_can_shift_the_results_of_its_batch()
    {
        // Refused when handed over, not when its batch runs: no other caller's statement is touched.
        var error = Assert.Throws<ArgumentException>(() =>
        {
            _ = _db.Statements.RunAsync("INSERT INTO corral_settings (key, value) VALUES ($1, $2)", "k", "v");
        });
        Assert.Contains("must return a result set", error.Message);
    }
}
