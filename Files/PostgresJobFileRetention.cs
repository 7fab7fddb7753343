using Npgsql;

namespace Corral.Files;

/// <summary>
/// Removes the files (inputs and results) of jobs that ended before a cutoff (<c>corral_jobs.finished_at</c>). One
/// sweep runs at a time across gateways: a sweep that finds the advisory lock held by another does nothing.
/// </summary>
public sealed class PostgresJobFileRetention(NpgsqlDataSource database)
{
    /// <summary>The advisory lock key, "corral files retention" folded into a bigint; no other code takes it.</summary>
    public const long LockKey = 0x636f7272616c6672;

    /// <summary>The jobs whose files were removed, or null when another sweep holds the lock.</summary>
    public async Task<IReadOnlyList<RemovedJobFiles>?> SweepAsync(DateTimeOffset finishedBefore, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var take = new NpgsqlCommand("SELECT pg_try_advisory_xact_lock($1)", connection, transaction))
        {
            take.Parameters.Add(new NpgsqlParameter<long> { TypedValue = LockKey });
            if (!(bool)(await take.ExecuteScalarAsync(cancellationToken))!)
            {
                return null;
            }
        }

        await using var delete = new NpgsqlCommand("""
            WITH removed AS (
                DELETE FROM corral_job_files f USING corral_jobs j
                WHERE f.job_id = j.job_id AND j.finished_at IS NOT NULL AND j.finished_at < $1
                RETURNING f.job_id, f.size)
            SELECT job_id, count(*)::int, coalesce(sum(size), 0)::bigint FROM removed GROUP BY job_id ORDER BY job_id
            """, connection, transaction);
        delete.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = finishedBefore.UtcDateTime });
        var removed = new List<RemovedJobFiles>();
        await using (var reader = await delete.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                removed.Add(new RemovedJobFiles(reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2)));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return removed;
    }
}
