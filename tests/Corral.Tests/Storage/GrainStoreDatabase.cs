using Corral.Storage;
using Corral.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Serialization;
using Orleans.Storage;
using Xunit;

namespace Corral.Tests.Storage;

/// <summary>A fresh database with Corral's schema, a <see cref="GroupCommitQueue"/> on it and a store over that.</summary>
public sealed class GrainStoreDatabase : IAsyncLifetime
{
    private readonly string _name = "corral_store_" + Guid.NewGuid().ToString("N")[..10];

    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource Database { get; private set; } = null!;

    public GroupCommitQueue Statements { get; private set; } = null!;

    public PostgresGrainStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ConnectionString = await TestEnvironment.CreateDatabaseAsync(_name);
        Database = NpgsqlDataSource.Create(ConnectionString);
        Statements = new GroupCommitQueue(Database, NullLogger<GroupCommitQueue>.Instance);
        var serializer = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(Corral.Quotas.QuotaState).Assembly))
            .BuildServiceProvider().GetRequiredService<Serializer>();
        Store = new PostgresGrainStore(Statements, new OrleansGrainStorageSerializer(serializer));
    }

    public async Task DisposeAsync()
    {
        await Statements.DisposeAsync();
        await Database.DisposeAsync();
        await TestEnvironment.DropDatabaseAsync(_name);
    }

    /// <summary>Counts rows with a plain connection of its own, outside the store.</summary>
    public async Task<long> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
