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
        long firstSeq = -1, lastSeq = -1;
        int firstOffset = 0, bytes = 0, taken = 0;
        var hasEarlier = false;
        await using (var sizes = database.CreateCommand(
            "SELECT seq, octet_length(content) FROM corral_job_logs WHERE job_id = $1 AND seq <= $2 ORDER BY seq DESC LIMIT $3"))
        {
            sizes.Parameters.AddWithValue(jobId);
            sizes.Parameters.AddWithValue(endSeq);
            sizes.Parameters.AddWithValue(MaxChunksPerPage + 1);
            await using var reader = await sizes.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var seq = reader.GetInt64(0);
                var available = seq == endSeq ? Math.Min(beforeOffset, reader.GetInt32(1)) : reader.GetInt32(1);
                if (available <= 0)
                {
                    continue;
                }

                if (bytes == PageBytes || taken == MaxChunksPerPage)
                {
                    hasEarlier = true;
                    break;
                }

                lastSeq = lastSeq < 0 ? seq : lastSeq;
                firstSeq = seq;
                var take = Math.Min(available, PageBytes - bytes);
                firstOffset = available - take;
                bytes += take;
                taken++;
                if (firstOffset > 0)
                {
                    hasEarlier = true;
                    break;
                }
            }
        }

        if (lastSeq < 0)
        {
            return new LogPage(-1, 0, -1, "", HasEarlier: false);
        }

        // The chunks firstSeq..lastSeq, the first from firstOffset, the last up to beforeOffset when it is that chunk.
        await using var command = database.CreateCommand(
            "SELECT substring(content FROM (CASE WHEN seq = $2 THEN $4 ELSE 0 END) + 1 " +
            "FOR (CASE WHEN seq = $5 THEN $6 ELSE 2147483647 END) - (CASE WHEN seq = $2 THEN $4 ELSE 0 END)) " +
            "FROM corral_job_logs WHERE job_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq");
        command.Parameters.AddWithValue(jobId);
        command.Parameters.AddWithValue(firstSeq);
        command.Parameters.AddWithValue(lastSeq);
        command.Parameters.AddWithValue(firstOffset);
        command.Parameters.AddWithValue(endSeq);
        command.Parameters.AddWithValue(beforeOffset);
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

            // A page cut inside a chunk starts at the next character, not inside one (UTF-8 continuation bytes).
            var skip = 0;
            while (firstOffset > 0 && skip < 3 && skip < length && (buffer[skip] & 0xC0) == 0x80)
            {
                skip++;
            }

            return new LogPage(firstSeq, firstOffset + skip, lastSeq, Encoding.UTF8.GetString(buffer, skip, length - skip), hasEarlier);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
