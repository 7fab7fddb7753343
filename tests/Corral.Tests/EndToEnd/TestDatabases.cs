using Npgsql;

namespace Corral.Tests.EndToEnd;

/// <summary>Drops the databases that test fixtures and benchmark suites make for themselves (shared by both projects).</summary>
public static class TestDatabases
{
    /// <summary>Drops <paramref name="name"/>, ending the sessions still in it; nothing when it is gone already.</summary>
    public static async Task DropAsync(string adminConnectionString, string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(adminConnectionString);
        await admin.OpenAsync();
        try
        {
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
        catch (PostgresException error) when (error.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            // FORCE ends the autovacuum worker too, which only a member of pg_signal_backend may do (deploy/test.sh
            // grants it); on a server set up without it, a plain drop stops such workers itself and waits a few
            // seconds for anything else.
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name}", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
