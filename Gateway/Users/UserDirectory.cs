using System.Collections.Concurrent;
using Npgsql;

namespace Corral.Gateway.Users;


/// <summary>Users and their token hashes in PostgreSQL (corral_users), with a small cache of recent look-ups.</summary>
public sealed class UserDirectory(NpgsqlDataSource database)
{
    private readonly ConcurrentDictionary<string, Caller> _byTokenHash = new(StringComparer.Ordinal);

    public async Task<Caller?> FindByTokenAsync(string token, CancellationToken cancellationToken)
    {
        var hash = TokenHasher.Hash(token);
        if (_byTokenHash.TryGetValue(hash, out var cached))
        {
            return cached;
        }

        await using var command = database.CreateCommand("SELECT name, is_admin, is_portal FROM corral_users WHERE token_hash = $1");
        command.Parameters.AddWithValue(hash);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var caller = new Caller(reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2));
        _byTokenHash[hash] = caller;
        return caller;
    }

    /// <summary>Creates a user and returns its token, or null when the name is taken.</summary>
    public async Task<string?> CreateAsync(string name, bool isAdmin, CancellationToken cancellationToken, bool isPortal = false)
    {
        var token = TokenHasher.NewToken();
        await using var command = database.CreateCommand(
            "INSERT INTO corral_users (name, token_hash, is_admin, is_portal) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING");
        command.Parameters.AddWithValue(name);
        command.Parameters.AddWithValue(TokenHasher.Hash(token));
        command.Parameters.AddWithValue(isAdmin);
        command.Parameters.AddWithValue(isPortal);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1 ? token : null;
    }

    /// <summary>
    /// Creates user <paramref name="name"/> if there is none (a portal's user, named on POST /upload), with a token
    /// nobody is shown: an admin gives it one later if it should sign in itself.
    /// </summary>
    public async Task EnsureAsync(string name, CancellationToken cancellationToken) =>
        await CreateAsync(name, isAdmin: false, cancellationToken);

    /// <summary>Makes <paramref name="token"/> the token of admin user <paramref name="name"/>, creating it if needed.</summary>
    public async Task SetAdminTokenAsync(string name, string token, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            INSERT INTO corral_users (name, token_hash, is_admin) VALUES ($1, $2, true)
            ON CONFLICT (name) DO UPDATE SET token_hash = EXCLUDED.token_hash, is_admin = true
            """);
        command.Parameters.AddWithValue(name);
        command.Parameters.AddWithValue(TokenHasher.Hash(token));
        await command.ExecuteNonQueryAsync(cancellationToken);
        _byTokenHash.Clear();
    }

    public async Task<bool> AnyAdminAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT EXISTS (SELECT 1 FROM corral_users WHERE is_admin)");
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<bool> ExistsAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT EXISTS (SELECT 1 FROM corral_users WHERE name = $1)");
        command.Parameters.AddWithValue(name);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyList<string>> ListNamesAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT name FROM corral_users ORDER BY name");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var names = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
