using Npgsql;

namespace Corral.Gateway.Jobs;

/// <summary>Reads a job's stored (ANSI-stripped) output, in order.</summary>
public sealed class JobLogReader(NpgsqlDataSource database)
{
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

    /// <summary>The whole stored output as text, and the number of its last chunk (-1 when there is none).</summary>
    public async Task<(string Text, long LastSeq)> ReadAsync(string jobId, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "SELECT coalesce(string_agg(content, ''::bytea ORDER BY seq), ''::bytea), coalesce(max(seq), -1) FROM corral_job_logs WHERE job_id = $1");
        command.Parameters.AddWithValue(jobId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (System.Text.Encoding.UTF8.GetString(reader.GetFieldValue<byte[]>(0)), reader.GetInt64(1));
    }
}
