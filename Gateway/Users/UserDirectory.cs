using Corral.Gateway.Auth;
using Npgsql;

namespace Corral.Gateway.Users;

/// <summary>Users in PostgreSQL (corral_users); their tokens are in corral_tokens (<see cref="TokenStore"/>).</summary>
public sealed class UserDirectory(NpgsqlDataSource database, CallerCache cache, TimeProvider clock)
{
    /// <summary>The name of a user's first token, and of the one-per-user tokens moved over by 015_tokens.sql.</summary>
    public const string InitialTokenName = "initial";

    /// <summary>Creates a user with its first token and returns the token, or null when the name is taken.</summary>
    public async Task<string?> CreateAsync(string name, bool isAdmin, CancellationToken cancellationToken, bool isPortal = false)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var user = new NpgsqlCommand(
            "INSERT INTO corral_users (name, is_admin, is_portal) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING", connection, transaction))
        {
            user.Parameters.AddWithValue(name);
            user.Parameters.AddWithValue(isAdmin);
            user.Parameters.AddWithValue(isPortal);
            if (await user.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                return null;
            }
        }

        var token = TokenHasher.NewToken();
        await using (var insert = new NpgsqlCommand(TokenStore.InsertSql, connection, transaction))
        {
            TokenStore.AddInsertParameters(insert, TokenHasher.NewId(), name, InitialTokenName, TokenHasher.Hash(token), clock.GetUtcNow(), null);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return token;
    }

    /// <summary>
    /// Creates user <paramref name="name"/> if there is none (a portal's user, named on POST /upload), with no
    /// token: an admin issues it one (POST /api/users/{name}/tokens) if it should sign in itself.
    /// </summary>
    public async Task EnsureAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("INSERT INTO corral_users (name) VALUES ($1) ON CONFLICT (name) DO NOTHING");
        command.Parameters.AddWithValue(name);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Makes <paramref name="token"/> admin <paramref name="name"/>'s token named <paramref name="tokenName"/>,
    /// creating the user if needed. It replaces the admin's previous token of that name, a generated one, and the
    /// one moved over from before named tokens, as setting a new CORRAL_ADMIN_TOKEN always replaced the old.
    /// </summary>
    public async Task SetAdminTokenAsync(string name, string tokenName, string token, CancellationToken cancellationToken)
    {
        var hash = TokenHasher.Hash(token);
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var user = new NpgsqlCommand(
            "INSERT INTO corral_users (name, is_admin) VALUES ($1, true) ON CONFLICT (name) DO UPDATE SET is_admin = true", connection, transaction))
        {
            user.Parameters.AddWithValue(name);
            await user.ExecuteNonQueryAsync(cancellationToken);
        }

        var replaced = new List<string>();
        await using (var delete = new NpgsqlCommand(
            "DELETE FROM corral_tokens WHERE user_name = $1 AND name = ANY($2) AND token_hash <> $3 RETURNING token_hash", connection, transaction))
        {
            delete.Parameters.AddWithValue(name);
            delete.Parameters.AddWithValue(new[] { tokenName, AdminBootstrap.GeneratedTokenName, AdminBootstrap.EnvironmentTokenName, InitialTokenName });
            delete.Parameters.AddWithValue(hash);
            await using var reader = await delete.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                replaced.Add(reader.GetString(0));
            }
        }

        await using (var insert = new NpgsqlCommand(
            TokenStore.InsertSql + " ON CONFLICT (token_hash) DO UPDATE SET user_name = EXCLUDED.user_name, name = EXCLUDED.name, expires_at = NULL",
            connection, transaction))
        {
            TokenStore.AddInsertParameters(insert, TokenHasher.NewId(), name, tokenName, hash, clock.GetUtcNow(), null);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        cache.Evict(replaced);
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
