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
}
