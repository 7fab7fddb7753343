using Corral.Reconciling;
using Npgsql;

namespace Corral.Silo.Storage;

/// <summary>The unfinished grains of <see cref="PostgresGrainStore"/>: rows flagged active, read once a sweep.</summary>
public sealed class PostgresActiveGrainIndex(NpgsqlDataSource database) : IActiveGrainIndex
{
    public async Task<IReadOnlyList<GrainId>> ListQuietAsync(string stateName, TimeSpan quietFor, GrainId? after, int limit)
    {
        await using var command = database.CreateCommand(
            "SELECT grain_id FROM corral_grain_state " +
            "WHERE active AND state_name = $1 AND grain_id > $2 AND written_at < now() - $3 " +
            "ORDER BY grain_id LIMIT $4");
        command.Parameters.Add(new NpgsqlParameter { Value = stateName });
        command.Parameters.Add(new NpgsqlParameter { Value = after?.ToString() ?? "" });
        command.Parameters.Add(new NpgsqlParameter { Value = quietFor });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        var grains = new List<GrainId>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            grains.Add(GrainId.Parse(reader.GetString(0)));
        }

        return grains;
    }
}
