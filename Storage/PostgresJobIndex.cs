using System.Collections.Immutable;
using Corral.Jobs;
using Npgsql;

namespace Corral.Storage;

/// <summary>
/// <see cref="IJobIndex"/> in <c>corral_jobs</c> (<c>deploy/sql/012_job_index.sql</c>). A job's row goes through
/// the <see cref="GroupCommitQueue"/> in the same transaction as its state when the group-commit store holds that
/// state; reads are plain queries.
/// </summary>
public sealed class PostgresJobIndex(GroupCommitQueue statements, NpgsqlDataSource database) : IJobIndex
{
    // Every column is rewritten, not just those that change: a row carried over from the earlier schema
    // (012_job_index.sql) has placeholders where the job's state has the facts.
    private const string Upsert =
        "INSERT INTO corral_jobs (job_id, user_name, service, kind, status, reason, message, exit_code, worker, " +
        "submitted_at, started_at, finished_at, unfinished, updated_at) " +
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::integer, $9, $10, $11::timestamptz, $12::timestamptz, $13, now()) " +
        "ON CONFLICT (job_id) DO UPDATE SET user_name = excluded.user_name, service = excluded.service, " +
        "kind = excluded.kind, submitted_at = excluded.submitted_at, status = excluded.status, reason = excluded.reason, " +
        "message = excluded.message, exit_code = excluded.exit_code, worker = excluded.worker, " +
        "started_at = excluded.started_at, finished_at = excluded.finished_at, unfinished = excluded.unfinished, " +
        "updated_at = now() RETURNING 0::bigint, NULL::bytea";

    public Task SaveAsync(JobRow row, Func<Task> writeState) => statements.RunTogetherAsync(writeState, Upsert, Parameters(row));

    public Task WriteRowAsync(JobRow row) => statements.RunAsync(Upsert, Parameters(row));

    public async Task<IReadOnlyList<string>> ListUnfinishedAsync(TimeSpan quietFor, string? after, int limit)
    {
        await using var command = database.CreateCommand(
            "SELECT job_id FROM corral_jobs WHERE unfinished AND job_id > $1 AND updated_at <= now() - $2 " +
            "ORDER BY job_id LIMIT $3");
        command.Parameters.Add(new NpgsqlParameter { Value = after ?? "" });
        command.Parameters.Add(new NpgsqlParameter { Value = quietFor });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        return await ReadFirstColumnAsync(command);
    }

    public async Task<IReadOnlyList<string>> ListUsersWithUnfinishedJobsAsync(string service)
    {
        // The partial index of unfinished rows: only jobs in flight are read, however many have ended.
        await using var command = database.CreateCommand(
            "SELECT DISTINCT user_name FROM corral_jobs WHERE unfinished AND lower(service) = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = service.ToLowerInvariant() });
        return await ReadFirstColumnAsync(command);
    }

    public async Task<ImmutableArray<string>> ListIdsAsync(string user, int limit)
    {
        await using var command = database.CreateCommand(
            "SELECT job_id FROM corral_jobs WHERE user_name = $1 ORDER BY submitted_at DESC, job_id DESC LIMIT $2");
        command.Parameters.Add(new NpgsqlParameter { Value = user });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        return [.. await ReadFirstColumnAsync(command)];
    }

    /// <summary>Enums as their names, times in UTC (what Npgsql takes for timestamptz).</summary>
    private static object?[] Parameters(JobRow row) =>
    [
        row.Id, row.User, row.Service, row.Kind.ToString(), row.Status.ToString(), row.Reason?.ToString(),
        row.Message, row.ExitCode, row.Worker, row.SubmittedAt.ToUniversalTime(), row.StartedAt?.ToUniversalTime(),
        row.FinishedAt?.ToUniversalTime(), row.Unfinished,
    ];

    private static async Task<List<string>> ReadFirstColumnAsync(NpgsqlCommand command)
    {
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
