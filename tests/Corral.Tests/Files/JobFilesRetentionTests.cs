using Corral.Files;
using Corral.Gateway.Files;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Xunit;

namespace Corral.Tests.Files;

/// <summary>
/// The retention sweep, on a real PostgreSQL with an injected clock: files of jobs that ended longer ago than the
/// retention go (inputs and results), others stay, and one sweep runs at a time.
/// </summary>
public sealed class JobFilesRetentionTests(FileStoreDatabase database) : IClassFixture<FileStoreDatabase>
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task TheSweep_RemovesTheFilesOfJobsThatEndedBeforeTheRetention_AndNoOthers()
    {
        var old = await JobWithFilesAsync(finishedAt: Now - TimeSpan.FromDays(8));
        var recent = await JobWithFilesAsync(finishedAt: Now - TimeSpan.FromDays(6));
        var running = await JobWithFilesAsync(finishedAt: null);
        var clock = new FakeTimeProvider(Now);
        var sweep = Sweep(clock);

        var removed = await sweep.SweepOnceAsync(default);

        var mine = removed!.Where(r => r.JobId == old || r.JobId == recent || r.JobId == running).ToList();
        Assert.Equal([new RemovedJobFiles(old, 3, 3 + 4 + 5)], mine);
        Assert.Empty(await database.Store.ListAsync(old, JobFileSet.Inputs, default));
        Assert.Empty(await database.Store.ListAsync(old, JobFileSet.Results, default));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM corral_job_file_chunks WHERE job_id = $1", old));
        Assert.Equal(2, (await database.Store.ListAsync(recent, JobFileSet.Inputs, default)).Count);
        Assert.Single(await database.Store.ListAsync(running, JobFileSet.Results, default));

        // Two days later the recent job has passed the retention too; the running one never does.
        clock.Advance(TimeSpan.FromDays(2));
        var later = await sweep.SweepOnceAsync(default);
        Assert.Contains(new RemovedJobFiles(recent, 3, 12), later!);
        Assert.DoesNotContain(later!, r => r.JobId == running);
        Assert.Single(await database.Store.ListAsync(running, JobFileSet.Results, default));
    }

    [Fact]
    public async Task ASweepWhileAnotherHoldsTheLock_DoesNothing()
    {
        var old = await JobWithFilesAsync(finishedAt: Now - TimeSpan.FromDays(30));
        await using var other = await database.Database.OpenConnectionAsync();
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({PostgresJobFileRetention.LockKey})", other))
        {
            await take.ExecuteScalarAsync();
        }

        Assert.Null(await Sweep(new FakeTimeProvider(Now)).SweepOnceAsync(default));
        Assert.Equal(2, (await database.Store.ListAsync(old, JobFileSet.Inputs, default)).Count);

        await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({PostgresJobFileRetention.LockKey})", other))
        {
            await release.ExecuteScalarAsync();
        }

        Assert.Contains(new RemovedJobFiles(old, 3, 12), (await Sweep(new FakeTimeProvider(Now)).SweepOnceAsync(default))!);
    }

    private JobFilesRetentionSweep Sweep(TimeProvider clock) => new(
        new PostgresJobFileRetention(database.Database),
        new JobFileSettings(JobFileSettings.DefaultMaxBytes, JobFileSettings.DefaultMaxCount, TimeSpan.FromDays(7)),
        clock,
        NullLogger<JobFilesRetentionSweep>.Instance);

    /// <summary>A job row in the index with two inputs (3 and 4 bytes) and one result (5 bytes).</summary>
    private async Task<string> JobWithFilesAsync(DateTimeOffset? finishedAt)
    {
        var job = FileStoreDatabase.NewJobId();
        await using (var insert = database.Database.CreateCommand("""
            INSERT INTO corral_jobs (job_id, user_name, service, kind, status, submitted_at, finished_at, unfinished)
            VALUES ($1, 'alice', 'example', 'Batch', $2, $3, $4, $5)
            """))
        {
            insert.Parameters.AddWithValue(job);
            insert.Parameters.AddWithValue(finishedAt is null ? "Running" : "Succeeded");
            insert.Parameters.AddWithValue(Now.UtcDateTime - TimeSpan.FromDays(40));
            insert.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.TimestampTz, finishedAt is { } at ? at.UtcDateTime : DBNull.Value);
            insert.Parameters.AddWithValue(finishedAt is null);
            await insert.ExecuteNonQueryAsync();
        }

        await database.Store.SaveAsync(job, JobFileSet.Inputs, "run.sh", new MemoryStream(new byte[3]), long.MaxValue, default);
        await database.Store.SaveAsync(job, JobFileSet.Inputs, "in/data", new MemoryStream(new byte[4]), long.MaxValue, default);
        await database.Store.SaveAsync(job, JobFileSet.Results, "out", new MemoryStream(new byte[5]), long.MaxValue, default);
        return job;
    }
}
