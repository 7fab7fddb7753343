using Npgsql;

namespace Corral.Files;

/// <summary>How many files a job's set holds and their bytes, in one query (for the job view, without listing them).</summary>
public sealed class PostgresJobFileTotals(NpgsqlDataSource database)
{
    public async Task<(int Count, long Bytes)> TotalAsync(string jobId, JobFileSet set, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "SELECT count(*)::int, coalesce(sum(size), 0)::bigint FROM corral_job_files WHERE job_id = $1 AND file_set = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = jobId });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)set });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt32(0), reader.GetInt64(1));
    }
}
