using Corral.Gateway.Users;
using Corral.Tests.EndToEnd;
using Npgsql;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>
/// deploy/sql/015_tokens.sql moves each user's one token into corral_tokens and may be applied any number of
/// times: the old token keeps working, the old column goes, and a token revoked after the move stays revoked.
/// </summary>
public sealed class TokenMigrationSecurityTests : IAsyncLifetime
{
    private readonly string _database = "corral_tokmig_" + Guid.NewGuid().ToString("N")[..10];
    private NpgsqlDataSource _data = null!;

    public async Task InitializeAsync()
    {
        await using (var admin = new NpgsqlConnection(TestEnvironment.AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", admin);
            await create.ExecuteNonQueryAsync();
        }

        _data = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(TestEnvironment.AdminConnectionString) { Database = _database }.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _data.DisposeAsync();
        await TestEnvironment.DropDatabaseAsync(_database);
    }

    [Fact]
    public async Task TheOldOneTokenPerUser_BecomesTokenInitial_AndARevokedOneStaysRevoked_HoweverOftenItRuns()
    {
        await ApplyAsync(file => string.CompareOrdinal(Path.GetFileName(file), "015") < 0);
        var token = TokenHasher.NewToken();
        await ExecuteAsync($"INSERT INTO corral_users (name, token_hash) VALUES ('olduser', '{TokenHasher.Hash(token)}')");
        await ExecuteAsync($"INSERT INTO corral_users (name, token_hash, is_admin) VALUES ('admin', '{TokenHasher.Hash(TokenHasher.NewToken())}', true)");

        await ApplyAsync(_ => true);
        await ApplyAsync(_ => true);

        Assert.Equal("olduser initial", await ScalarAsync<string>(
            $"SELECT user_name || ' ' || name FROM corral_tokens WHERE token_hash = '{TokenHasher.Hash(token)}'"));
        Assert.Equal(2L, await ScalarAsync<long>("SELECT count(*) FROM corral_tokens"));
        Assert.Equal(0L, await ScalarAsync<long>(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'corral_users' AND column_name = 'token_hash'"));

        await ExecuteAsync("DELETE FROM corral_tokens WHERE user_name = 'olduser'");
        await ApplyAsync(_ => true);

        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM corral_tokens WHERE user_name = 'olduser'"));
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM corral_users WHERE name = 'olduser'"));
    }

    private async Task ApplyAsync(Func<string, bool> which)
    {
        foreach (var file in Directory.GetFiles(Path.Combine(TestEnvironment.RepositoryRoot, "deploy", "sql"), "*.sql")
            .Order(StringComparer.Ordinal).Where(which))
        {
            await ExecuteAsync(await File.ReadAllTextAsync(file));
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = _data.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = _data.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
