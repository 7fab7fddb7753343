using System.Text;
using Npgsql;

namespace Corral.Gateway.Jobs;

/// <summary>Reads a job's stored (ANSI-stripped) output, in order: all of it as a stream, or a bounded page of it.</summary>
public sealed class JobLogReader(NpgsqlDataSource database)
{
    /// <summary>The most a page holds (<see cref="ReadPageAsync"/>), unless its one chunk alone is bigger (up to 1 MiB).</summary>
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
    /// The end of the log before chunk <paramref name="beforeSeq"/> (null: the end of the whole log), in whole
    /// chunks up to <see cref="PageBytes"/>: the newest chunk, then older ones while they fit.
    /// </summary>
    public async Task<LogPage> ReadPageAsync(string jobId, long? beforeSeq, CancellationToken cancellationToken)
    {
        // Sizes first (octet_length reads the stored length, not the content), newest first, to find where the page starts.
        long first = -1, last = -1, bytes = 0;
        var hasEarlier = false;
        await using (var sizes = database.CreateCommand(
            "SELECT seq, octet_length(content) FROM corral_job_logs WHERE job_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3"))
        {
            sizes.Parameters.AddWithValue(jobId);
            sizes.Parameters.AddWithValue(beforeSeq ?? long.MaxValue);
            sizes.Parameters.AddWithValue(MaxChunksPerPage + 1);
            await using var reader = await sizes.ExecuteReaderAsync(cancellationToken);
            var taken = 0;
            while (await reader.ReadAsync(cancellationToken))
            {
                var size = reader.GetInt32(1);
                if (taken > 0 && (bytes + size > PageBytes || taken == MaxChunksPerPage))
                {
                    hasEarlier = true;
                    break;
                }

                last = taken == 0 ? reader.GetInt64(0) : last;
                first = reader.GetInt64(0);
                bytes += size;
                taken++;
            }
        }

        if (last < 0)
        {
            return new LogPage(-1, -1, "", HasEarlier: false);
        }

        await using var command = database.CreateCommand(
            "SELECT content FROM corral_job_logs WHERE job_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq");
        command.Parameters.AddWithValue(jobId);
        command.Parameters.AddWithValue(first);
        command.Parameters.AddWithValue(last);
        using var text = new MemoryStream((int)bytes);
        await using (var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                await using var chunk = reader.GetStream(0);
                await chunk.CopyToAsync(text, cancellationToken);
            }
        }

        return new LogPage(first, last, Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length), hasEarlier);
    }
}
