using System.Data;
using Npgsql;
using NpgsqlTypes;

namespace Corral.Files;

/// <summary>
/// <see cref="IJobFileStore"/> in <c>corral_job_files</c> and <c>corral_job_file_chunks</c>
/// (<c>deploy/sql/013_job_files.sql</c>). A file is written in one transaction with a binary COPY of its chunks, so
/// a reader sees all of it or none of it, and a write that fails or passes its budget leaves nothing.
/// </summary>
public sealed class PostgresJobFileStore(NpgsqlDataSource database) : IJobFileStore
{
    /// <summary>Chunk length: large enough that per-row costs vanish, small enough to hold one in memory per stream.</summary>
    public const int ChunkBytes = 1024 * 1024;

    public async Task<long> SaveAsync(string jobId, JobFileSet set, string path, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Two commands: PostgreSQL refuses several statements in one command with positional parameters.
        foreach (var sql in new[]
                 {
                     "DELETE FROM corral_job_files WHERE job_id = $1 AND file_set = $2 AND path = $3",
                     "INSERT INTO corral_job_files (job_id, file_set, path, size) VALUES ($1, $2, $3, 0)",
                 })
        {
            await using var replace = new NpgsqlCommand(sql, connection, transaction);
            AddKey(replace, jobId, set, path);
            await replace.ExecuteNonQueryAsync(cancellationToken);
        }

        long total = 0;
        var buffer = new byte[ChunkBytes];
        await using (var importer = await connection.BeginBinaryImportAsync(
            "COPY corral_job_file_chunks (job_id, file_set, path, seq, data) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            for (var seq = 0; ; seq++)
            {
                var length = await content.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
                if (length == 0)
                {
                    break;
                }

                total += length;
                if (total > maxBytes)
                {
                    // Disposing the importer without completing it cancels the COPY; the transaction rolls back.
                    throw new FileTooLargeException(path, maxBytes);
                }

                await importer.StartRowAsync(cancellationToken);
                await importer.WriteAsync(jobId, NpgsqlDbType.Text, cancellationToken);
                await importer.WriteAsync((short)set, NpgsqlDbType.Smallint, cancellationToken);
                await importer.WriteAsync(path, NpgsqlDbType.Text, cancellationToken);
                await importer.WriteAsync(seq, NpgsqlDbType.Integer, cancellationToken);
                await importer.WriteAsync(new ArraySegment<byte>(buffer, 0, length), NpgsqlDbType.Bytea, cancellationToken);
                if (length < buffer.Length)
                {
                    break;
                }
            }

            await importer.CompleteAsync(cancellationToken);
        }

        await using (var size = new NpgsqlCommand(
            "UPDATE corral_job_files SET size = $4, stored_at = now() WHERE job_id = $1 AND file_set = $2 AND path = $3", connection, transaction))
        {
            AddKey(size, jobId, set, path);
            size.Parameters.Add(new NpgsqlParameter<long> { TypedValue = total });
            await size.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return total;
    }

    public async Task<IReadOnlyList<StoredFile>> ListAsync(string jobId, JobFileSet set, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "SELECT path, size FROM corral_job_files WHERE job_id = $1 AND file_set = $2 ORDER BY path");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = jobId });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)set });
        var files = new List<StoredFile>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            files.Add(new StoredFile(reader.GetString(0), reader.GetInt64(1)));
        }

        return files;
    }

    public async Task<bool> CopyToAsync(string jobId, JobFileSet set, string path, Stream destination, CancellationToken cancellationToken)
    {
        // One snapshot for the existence check and the chunks, so a file replaced meanwhile is read whole, old or new.
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        await using (var exists = new NpgsqlCommand(
            "SELECT 1 FROM corral_job_files WHERE job_id = $1 AND file_set = $2 AND path = $3", connection, transaction))
        {
            AddKey(exists, jobId, set, path);
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                return false;
            }
        }

        await using var chunks = new NpgsqlCommand(
            "SELECT data FROM corral_job_file_chunks WHERE job_id = $1 AND file_set = $2 AND path = $3 ORDER BY seq", connection, transaction);
        AddKey(chunks, jobId, set, path);
        await using var reader = await chunks.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            await using var chunk = await reader.GetStreamAsync(0, cancellationToken);
            await chunk.CopyToAsync(destination, cancellationToken);
        }

        return true;
    }

    public async Task<int> DeleteAsync(string jobId, JobFileSet set, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("DELETE FROM corral_job_files WHERE job_id = $1 AND file_set = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = jobId });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)set });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddKey(NpgsqlCommand command, string jobId, JobFileSet set, string path)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = jobId });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)set });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = path });
    }
}
