using System.Collections.Immutable;
using Corral.Users;
using Npgsql;

namespace Corral.Silo.Storage;

/// <summary>
/// <see cref="IUserJobIndex"/> in <c>corral_user_jobs</c>. Inserts go through the <see cref="GroupCommitQueue"/>,
/// so they share commits with the grain writes around them; listing is a plain query.
/// </summary>
public sealed class PostgresUserJobIndex(GroupCommitQueue statements, NpgsqlDataSource database) : IUserJobIndex
{
    public Task AddAsync(string user, string jobId) => statements.RunAsync(
        "INSERT INTO corral_user_jobs (user_name, job_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 0::bigint, NULL::bytea",
        user, jobId);

    public async Task<ImmutableArray<string>> ListAsync(string user)
    {
        await using var command = database.CreateCommand(
            "SELECT job_id FROM corral_user_jobs WHERE user_name = $1 ORDER BY seq DESC");
        command.Parameters.Add(new NpgsqlParameter { Value = user });
        var jobs = ImmutableArray.CreateBuilder<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            jobs.Add(reader.GetString(0));
        }

        return jobs.ToImmutable();
    }
}
