using Corral.Hosting.Faults;
using Corral.Jobs;
using Corral.Quotas;
using Corral.Scheduling;
using Npgsql;

namespace Corral.Storage;

/// <summary>
/// <see cref="IWaitingJobStore"/> in <c>corral_quota_waiting</c> (<c>deploy/sql/016_quota_waiting.sql</c>). A
/// grain's changes go in one statement through the <see cref="GroupCommitQueue"/>, in the same transaction as its
/// state when the group-commit store holds that state; reads are plain queries.
/// </summary>
public sealed class PostgresWaitingJobStore(GroupCommitQueue statements, NpgsqlDataSource database) : IWaitingJobStore
{
    // In the state's transaction a write that found another version (an optimistic-concurrency conflict) matches
    // no row and fails nothing, and the transaction still commits: the rows change only if this transaction is the
    // one that wrote the state's row (its xmin), so a state write that failed leaves the rows as they were.
    private const string WrittenWithState =
        "SELECT EXISTS (SELECT 1 FROM corral_grain_state WHERE grain_id = $1 AND state_name = $2 " +
        "AND xmin = pg_current_xact_id()::xid) AS ok";

    // Alone, the statement runs only after the state was written (elsewhere), so nothing is left to check.
    private const string WrittenBefore = "SELECT $2::text IS NOT NULL AS ok";

    private const string Changes =
        "WITH written AS ({0}), " +
        "gone AS (DELETE FROM corral_quota_waiting WHERE quota_key = $1 AND job_id = ANY($3) " +
        "AND (SELECT ok FROM written) RETURNING job_id), " +
        "kept AS (INSERT INTO corral_quota_waiting (quota_key, job_id, user_name, priority, seq, enqueued_at) " +
        "SELECT $1, r.* FROM unnest($4::text[], $5::text[], $6::smallint[], $7::bigint[], $8::timestamptz[]) AS r " +
        "WHERE (SELECT ok FROM written) " +
        "ON CONFLICT (quota_key, job_id) DO UPDATE SET user_name = excluded.user_name, priority = excluded.priority, " +
        "seq = excluded.seq, enqueued_at = excluded.enqueued_at RETURNING job_id) " +
        "SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM kept), NULL::bytea";

    private static readonly string ChangesWithState = string.Format(System.Globalization.CultureInfo.InvariantCulture, Changes, WrittenWithState);

    private static readonly string ChangesAlone = string.Format(System.Globalization.CultureInfo.InvariantCulture, Changes, WrittenBefore);

    /// <remarks>Read while a quota grain activates, outside any grain call: a database failure is turned into what crosses the wire, as <see cref="PostgresGrainStore"/>'s reads are.</remarks>
    public async Task<IReadOnlyList<WaitingJob>> LoadAsync(GrainId quota)
    {
        try
        {
            return await ReadAsync(quota);
        }
        catch (Exception error) when (DatabaseFailure.AsUnavailable(error) is { } outage)
        {
            throw outage;
        }
    }

    private async Task<IReadOnlyList<WaitingJob>> ReadAsync(GrainId quota)
    {
        await using var command = database.CreateCommand(
            "SELECT job_id, user_name, priority, seq, enqueued_at FROM corral_quota_waiting WHERE quota_key = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = quota.ToString() });
        var jobs = new List<WaitingJob>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            jobs.Add(new WaitingJob(
                reader.GetString(0),
                reader.GetString(1),
                (JobPriority)reader.GetInt16(2),
                reader.GetInt64(3),
                new DateTimeOffset(reader.GetFieldValue<DateTime>(4))));
        }

        return jobs;
    }

    public async Task<IReadOnlyList<GrainId>> ListQuotasWithWaitingJobsAsync()
    {
        await using var command = database.CreateCommand("SELECT DISTINCT quota_key FROM corral_quota_waiting");
        var quotas = new List<GrainId>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            quotas.Add(GrainId.Parse(reader.GetString(0)));
        }

        return quotas;
    }

    public async Task<IReadOnlySet<string>> WhichWaitAsync(IReadOnlyCollection<string> jobIds)
    {
        // By corral_quota_waiting_job (016_quota_waiting.sql).
        await using var command = database.CreateCommand("SELECT DISTINCT job_id FROM corral_quota_waiting WHERE job_id = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = jobIds.ToArray() });
        var waiting = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            waiting.Add(reader.GetString(0));
        }

        return waiting;
    }

    public Task SaveAsync(
        GrainId quota, string stateName, IReadOnlyList<WaitingJob> stored, IReadOnlyList<string> deleted, Func<Task> writeState)
    {
        if (stored.Count == 0 && deleted.Count == 0)
        {
            return writeState();
        }

        return statements.RunTogetherAsync(
            writeState,
            together => together ? ChangesWithState : ChangesAlone,
            quota.ToString(),
            stateName,
            deleted.ToArray(),
            stored.Select(j => j.JobId).ToArray(),
            stored.Select(j => j.User).ToArray(),
            stored.Select(j => (short)j.Priority).ToArray(),
            stored.Select(j => j.Seq).ToArray(),
            stored.Select(j => j.EnqueuedAt.UtcDateTime).ToArray());
    }
}
