using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Corral.HostAgent.Logs;

/// <summary>Where a job's stored log stands: the next chunk number, bytes this hour and in all, and where the last chunk ends.</summary>
public sealed record LogProgress(long NextSeq, long BytesSince, long BytesTotal, LogPosition? End);

/// <summary>
/// Job output in PostgreSQL (table corral_job_logs): appended in numbered chunks, read in order. While the database
/// is away both wait it out (<see cref="DatabaseRetry"/>): the output waits in the job's file, and a chunk whose
/// insert may have committed before the connection broke is inserted again under its number, which stores it once.
/// </summary>
public sealed class LogStore(NpgsqlDataSource database, TimeProvider clock, ILogger<LogStore>? logger = null)
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>
    /// Stores one chunk with the source position it ends at (in the same row, so the two are written together or
    /// not at all).
    /// </summary>
    public Task AppendAsync(
        string jobId, long seq, ReadOnlyMemory<byte> content, LogPosition? end, CancellationToken cancellationToken) =>
        DatabaseRetry.RunAsync($"storing log chunk {seq} of job {jobId}", token => InsertAsync(jobId, seq, content, end, token), _logger, cancellationToken);

    private async Task InsertAsync(string jobId, long seq, ReadOnlyMemory<byte> content, LogPosition? end, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            INSERT INTO corral_job_logs (job_id, seq, written_at, content, source_offset, stripper_state)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING
            """);
        command.Parameters.AddWithValue(jobId);
        command.Parameters.AddWithValue(seq);
        command.Parameters.AddWithValue(clock.GetUtcNow());
        command.Parameters.AddWithValue(content);
        command.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = end?.FileOffset });
        command.Parameters.Add(new NpgsqlParameter<int?> { TypedValue = end?.StripperCheckpoint });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Where a job's log stands, with bytes counted from <paramref name="since"/> (the start of this hour).</summary>
    public Task<LogProgress> GetProgressAsync(string jobId, DateTimeOffset since, CancellationToken cancellationToken) =>
        DatabaseRetry.RunAsync($"reading the stored log of job {jobId}", token => ReadProgressAsync(jobId, since, token), _logger, cancellationToken);

    private async Task<LogProgress> ReadProgressAsync(string jobId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            WITH last AS (SELECT source_offset, stripper_state FROM corral_job_logs WHERE job_id = $1 ORDER BY seq DESC LIMIT 1)
            SELECT coalesce(max(seq) + 1, 0),
                   coalesce(sum(octet_length(content)) FILTER (WHERE written_at >= $2), 0),
                   coalesce(sum(octet_length(content)), 0),
                   (SELECT source_offset FROM last),
                   (SELECT stripper_state FROM last)
            FROM corral_job_logs WHERE job_id = $1
            """);
        command.Parameters.AddWithValue(jobId);
        command.Parameters.AddWithValue(since);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var end = reader.IsDBNull(3) || reader.IsDBNull(4) ? (LogPosition?)null : new LogPosition(reader.GetInt64(3), reader.GetInt32(4));
        return new LogProgress(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), end);
    }
}
