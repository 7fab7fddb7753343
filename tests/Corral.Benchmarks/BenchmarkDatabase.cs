using Corral.Tests.EndToEnd;
using Npgsql;

namespace Corral.Benchmarks;

/// <summary>
/// A throwaway database on the benchmark PostgreSQL server, with Corral's schema (deploy/sql) applied, dropped
/// on dispose. The server is shared, so every pool opened on it is kept small (<see cref="MaxPoolSize"/>).
/// </summary>
public sealed class BenchmarkDatabase : IAsyncDisposable
{
    private BenchmarkDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
    }

    public const int MaxPoolSize = 24;

    public string Name { get; }

    /// <summary>Connection string of this database, with a bounded pool.</summary>
    public string ConnectionString { get; }

    /// <summary>Creates an empty database named <c>bench_PURPOSE_RANDOM</c>; with the schema unless told otherwise.</summary>
    public static async Task<BenchmarkDatabase> CreateAsync(string purpose, bool withSchema = true)
    {
        var name = $"bench_{purpose}_{Guid.NewGuid():N}"[..32];
        await using (var admin = new NpgsqlConnection(BenchmarkEnvironment.AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(BenchmarkEnvironment.AdminConnectionString)
        {
            Database = name,
            MaxPoolSize = MaxPoolSize,
        }.ConnectionString;
        var database = new BenchmarkDatabase(name, connectionString);
        if (withSchema)
        {
            await database.ApplySchemaAsync();
        }

        return database;
    }

    /// <summary>Runs one scalar query on this database.</summary>
    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync() => await TestDatabases.DropAsync(BenchmarkEnvironment.AdminConnectionString, Name);

    private async Task ApplySchemaAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        var files = Directory.GetFiles(Path.Combine(BenchmarkEnvironment.RepositoryRoot, "deploy", "sql"), "*.sql")
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            await using var apply = new NpgsqlCommand(await File.ReadAllTextAsync(file), connection);
            await apply.ExecuteNonQueryAsync();
        }
    }
}
