using Corral.Gateway.Auth;
using Npgsql;

namespace Corral.Gateway.Users;

/// <summary>
/// Users' tokens in PostgreSQL (corral_tokens): issue, list, revoke and look up by hash. A revoke here drops the
/// token from this gateway's cache at once; other gateways drop it when their entry runs out.
/// </summary>
public sealed class TokenStore(NpgsqlDataSource database, CallerCache cache, TimeProvider clock)
{
    internal const string InsertSql =
        "INSERT INTO corral_tokens (id, user_name, name, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)";

    /// <summary>
    /// The caller a token hash belongs to if it is known and unexpired at <paramref name="now"/>, with its expiry.
    /// Stamps last_used_at when it is a minute old or more, so a busy token costs a write a minute, not a request.
    /// </summary>
    public async Task<(Caller Caller, DateTimeOffset? ExpiresAt)?> FindAsync(string tokenHash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            WITH found AS (
                SELECT t.id, t.expires_at, t.last_used_at, u.name, u.is_admin, u.is_portal
                FROM corral_tokens t JOIN corral_users u ON u.name = t.user_name
                WHERE t.token_hash = $1 AND (t.expires_at IS NULL OR t.expires_at > $2)),
            touched AS (
                UPDATE corral_tokens SET last_used_at = $2
                WHERE id = (SELECT id FROM found) AND (last_used_at IS NULL OR last_used_at < $2 - interval '1 minute'))
            SELECT name, is_admin, is_portal, expires_at FROM found
            """);
        command.Parameters.AddWithValue(tokenHash);
        command.Parameters.AddWithValue(now);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var caller = new Caller(reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2));
        return (caller, reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3));
    }

    /// <summary>
    /// Issues a token named <paramref name="name"/> to <paramref name="user"/>, first revoking all the user's
    /// others when <paramref name="revokeOthers"/>. Null when the user does not exist or already holds
    /// <see cref="TokenRules.MaxPerUser"/> tokens.
    /// </summary>
    public async Task<IssuedToken?> IssueAsync(
        string user, string name, DateTimeOffset? expiresAt, bool revokeOthers, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The user's row lock makes the count below exact when two tokens are issued to one user at once.
        await using (var lockUser = new NpgsqlCommand("SELECT 1 FROM corral_users WHERE name = $1 FOR UPDATE", connection, transaction))
        {
            lockUser.Parameters.AddWithValue(user);
            if (await lockUser.ExecuteScalarAsync(cancellationToken) is null)
            {
                return null;
            }
        }

        var revoked = new List<(string Id, string Hash)>();
        if (revokeOthers)
        {
            await using var delete = new NpgsqlCommand("DELETE FROM corral_tokens WHERE user_name = $1 RETURNING id, token_hash", connection, transaction);
            delete.Parameters.AddWithValue(user);
            await using var reader = await delete.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                revoked.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        await using (var count = new NpgsqlCommand("SELECT count(*) FROM corral_tokens WHERE user_name = $1", connection, transaction))
        {
            count.Parameters.AddWithValue(user);
            if ((long)(await count.ExecuteScalarAsync(cancellationToken))! >= TokenRules.MaxPerUser)
            {
                return null;
            }
        }

        var token = TokenHasher.NewToken();
        var id = TokenHasher.NewId();
        var now = clock.GetUtcNow();
        await using (var insert = new NpgsqlCommand(InsertSql, connection, transaction))
        {
            AddInsertParameters(insert, id, user, name, TokenHasher.Hash(token), now, expiresAt);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        cache.Evict(revoked.Select(r => r.Hash));
        return new IssuedToken(id, name, token, now, expiresAt, revoked.Select(r => r.Id).ToList());
    }

    /// <summary>The user's tokens, oldest first, expired ones included (until someone revokes them).</summary>
    public async Task<TokenList> ListAsync(string user, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "SELECT id, name, created_at, expires_at, last_used_at FROM corral_tokens WHERE user_name = $1 ORDER BY created_at, id");
        command.Parameters.AddWithValue(user);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var tokens = new List<TokenView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            tokens.Add(new TokenView(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetFieldValue<DateTimeOffset>(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return new TokenList(tokens);
    }

    /// <summary>Revokes token <paramref name="id"/> of <paramref name="user"/> (of anyone when null); false when there is none.</summary>
    public async Task<bool> RevokeAsync(string? user, string id, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "DELETE FROM corral_tokens WHERE id = $1 AND ($2::text IS NULL OR user_name = $2) RETURNING token_hash");
        command.Parameters.AddWithValue(id);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)user ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        if (await command.ExecuteScalarAsync(cancellationToken) is not string hash)
        {
            return false;
        }

        cache.Evict([hash]);
        return true;
    }

    internal static void AddInsertParameters(
        NpgsqlCommand command, string id, string user, string name, string hash, DateTimeOffset createdAt, DateTimeOffset? expiresAt)
    {
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(user);
        command.Parameters.AddWithValue(name);
        command.Parameters.AddWithValue(hash);
        command.Parameters.AddWithValue(createdAt);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)expiresAt ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
    }
}
