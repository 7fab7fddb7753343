using Npgsql;

namespace Corral.HostAgent.Logs;

/// <summary>Job output in PostgreSQL (table corral_job_logs): appended in numbered chunks, read in order.</summary>
public sealed class LogStore(NpgsqlDataSource database, TimeProvider clock)
{
    public async Task AppendAsync(string jobId, long seq, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "INSERT INTO corral_job_logs (job_id, seq, written_at, content) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING");
        command.Parameters.AddWithValue(jobId);
        command.Parameters.AddWithValue(seq);
        command.Parameters.AddWithValue(clock.GetUtcNow());
        command.Parameters.AddWithValue(content);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Where a job's log stands: the next chunk number, and bytes stored since <paramref name="since"/> and in all.</summary>
    public async Task<(long NextSeq, long BytesSince, long BytesTotal)> GetProgressAsync(
        string jobId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            SELECT coalesce(max(seq) + 1, 0),
                   coalesce(sum(octet_length(content)) FILTER (WHERE written_at >= $2), 0),
                   coalesce(sum(octet_length(content)), 0)
            FROM corral_job_logs WHERE job_id = $1
            """);
        command.Parameters.AddWithValue(jobId);
        command.Parameters.AddWithValue(since);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }
}
