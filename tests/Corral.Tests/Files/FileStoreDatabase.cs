using Corral.Files;
using Corral.Tests.EndToEnd;
using Npgsql;
using Xunit;

namespace Corral.Tests.Files;

/// <summary>A fresh database with Corral's schema and a <see cref="PostgresJobFileStore"/> on it.</summary>
public sealed class FileStoreDatabase : IAsyncLifetime
{
    private readonly string _name = "corral_files_" + Guid.NewGuid().ToString("N")[..10];

    public NpgsqlDataSource Database { get; private set; } = null!;

    public PostgresJobFileStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = NpgsqlDataSource.Create(await TestEnvironment.CreateDatabaseAsync(_name));
        Store = new PostgresJobFileStore(Database);
    }

    public async Task DisposeAsync()
    {
        await Database.DisposeAsync();
        await TestEnvironment.DropDatabaseAsync(_name);
    }

    public async Task<long> CountAsync(string sql, params object[] parameters)
    {
        await using var command = Database.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public async Task ExecuteAsync(string sql, params object[] parameters)
    {
        await using var command = Database.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        await command.ExecuteNonQueryAsync();
    }

    public static string NewJobId() => Guid.NewGuid().ToString("N");

    /// <summary>Deterministic bytes that use every byte value, so a text or encoding slip shows.</summary>
    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
