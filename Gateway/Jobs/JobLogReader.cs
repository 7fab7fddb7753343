using System.Buffers;
using System.Text;
using Npgsql;

namespace Corral.Gateway.Jobs;

/// <summary>Reads a job's stored (ANSI-stripped) output, in order: all of it as a stream, or a bounded page of it.</summary>
public sealed class JobLogReader(NpgsqlDataSource database)
{
    /// <summary>The most a page holds (<see cref="ReadPageAsync"/>): what watchLogs sends a client that opens a log.</summary>
    public const int PageBytes = 256 * 1024;

    // How many chunk sizes one page looks at: a log of tiny chunks gives a shorter page, never an unbounded scan.
    private const int MaxChunksPerPage = 4096;

    /// <summary>
    /// The whole log, chunk by chunk as PostgreSQL sends it (sequential access: never more than a chunk in memory).
    /// </summary>
    public async Task CopyToAsync(string jobId, Stream destination, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT content FROM corral_job_logs WHERE job_id = $1 ORDER BY seq");
        command.Parameters.AddWithValue(jobId);
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            await using var chunk = reader.GetStream(0);
            await chunk.CopyToAsync(destination, cancellationToken);
        }
    }

    /// <summary>
    /// The <see cref="PageBytes"/> of output just before byte <paramref name="beforeOffset"/> of chunk
    /// <paramref name="beforeSeq"/> (null: the end of the whole log). The page may start inside a chunk (at a
    /// character's first byte), so a page is bounded whatever the size of the chunks (up to 1 MiB each).
    /// </summary>
    public async Task<LogPage> ReadPageAsync(string jobId, long? beforeSeq, int beforeOffset, CancellationToken cancellationToken)
    {
        var endSeq = beforeSeq ?? long.MaxValue;
        // Sizes first (octet_length reads the stored length, not the content), newest first, to find where the page starts.
        var sizes = new List<(long Seq, int Length)>();
        await using (var sizeQuery = database.CreateCommand(
            "SELECT seq, octet_length(content) FROM corral_job_logs WHERE job_id = $1 AND seq <= $2 ORDER BY seq DESC LIMIT $3"))
        {
            sizeQuery.Parameters.AddWithValue(jobId);
            sizeQuery.Parameters.AddWithValue(endSeq);
            sizeQuery.Parameters.AddWithValue(MaxChunksPerPage + 1);
            await using var reader = await sizeQuery.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                sizes.Add((reader.GetInt64(0), reader.GetInt32(1)));
            }
        }

        var window = LogPageWindow.Find(sizes, endSeq, beforeOffset, PageBytes, MaxChunksPerPage);
        if (window.IsEmpty)
        {
            return new LogPage(-1, 0, -1, "", HasEarlier: false);
        }

        // The chunks firstSeq..lastSeq, the first from firstOffset, the last up to beforeOffset when it is that chunk.
        await using var command = database.CreateCommand(
            "SELECT substring(content FROM (CASE WHEN seq = $2 THEN $4 ELSE 0 END) + 1 " +
            "FOR (CASE WHEN seq = $5 THEN $6 ELSE 2147483647 END) - (CASE WHEN seq = $2 THEN $4 ELSE 0 END)) " +
            "FROM corral_job_logs WHERE job_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq");
        command.Parameters.AddWithValue(jobId);
        command.Parameters.AddWithValue(window.FirstSeq);
        command.Parameters.AddWithValue(window.LastSeq);
        command.Parameters.AddWithValue(window.FirstOffset);
        command.Parameters.AddWithValue(endSeq);
        command.Parameters.AddWithValue(beforeOffset);
        var bytes = window.Bytes;
        var buffer = ArrayPool<byte>.Shared.Rent(bytes);
        try
        {
            var length = 0;
            await using (var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    await using var chunk = reader.GetStream(0);
                    int read;
                    while (length < bytes && (read = await chunk.ReadAsync(buffer.AsMemory(length, bytes - length), cancellationToken)) > 0)
                    {
                        length += read;
                    }
                }
            }

            var skip = window.CharacterStart(buffer.AsSpan(0, length));
            return new LogPage(
                window.FirstSeq, window.FirstOffset + skip, window.LastSeq, Encoding.UTF8.GetString(buffer, skip, length - skip), window.HasEarlier);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
