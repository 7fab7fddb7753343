using Corral.Tests.EndToEnd;
using Npgsql;
using Xunit;

namespace Corral.Tests.Storage;

/// <summary>deploy/sql on a database of the earlier schema (011: an `active` flag, corral_user_jobs), and again.</summary>
public sealed class SchemaUpgradeTests
{
    [Fact]
    public async Task The_job_index_is_filled_from_the_old_user_index_then_the_old_index_and_flag_are_dropped_and_a_rerun_changes_nothing()
    {
        var name = "corral_schema_" + Guid.NewGuid().ToString("N")[..10];
        var connectionString = await TestEnvironment.CreateDatabaseAsync(name);
        try
        {
            await using var database = NpgsqlDataSource.Create(connectionString);
            // What 011 left: the flag, the old index with two jobs of which one has state.
            await ExecuteAsync(database,
                "ALTER TABLE corral_grain_state ADD COLUMN active boolean NOT NULL DEFAULT false; " +
                "CREATE TABLE corral_user_jobs (user_name text NOT NULL, seq bigint GENERATED ALWAYS AS IDENTITY, " +
                "job_id text NOT NULL, PRIMARY KEY (user_name, seq), UNIQUE (user_name, job_id)); " +
                "INSERT INTO corral_user_jobs (user_name, job_id) VALUES ('alice', 'withstate'), ('alice', 'nostate'); " +
                "INSERT INTO corral_grain_state (grain_id, state_name, etag, payload, active) VALUES ('job/withstate', 'job', 3, '\\x00', true)");

            await ApplySchemaAsync(database);
            await ApplySchemaAsync(database);

            Assert.Equal(1L, await ScalarAsync(database,
                "SELECT count(*) FROM corral_jobs WHERE job_id = 'withstate' AND user_name = 'alice' AND unfinished AND updated_at < now() - interval '1 year'"));
            Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM corral_jobs WHERE job_id = 'nostate'"));
            Assert.Equal(0L, await ScalarAsync(database,
                "SELECT count(*) FROM information_schema.columns WHERE table_name = 'corral_grain_state' AND column_name = 'active'"));
            Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'corral_user_jobs'"));
        }
        finally
        {
            await TestEnvironment.DropDatabaseAsync(name);
        }
    }

    private static async Task ApplySchemaAsync(NpgsqlDataSource database)
    {
        foreach (var file in Directory.GetFiles(Path.Combine(TestEnvironment.RepositoryRoot, "deploy", "sql"), "*.sql").Order(StringComparer.Ordinal))
        {
            await ExecuteAsync(database, await File.ReadAllTextAsync(file));
        }
    }

    private static async Task ExecuteAsync(NpgsqlDataSource database, string sql)
    {
        await using var command = database.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource database, string sql)
    {
        await using var command = database.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
