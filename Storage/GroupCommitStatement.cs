using Npgsql;

namespace Corral.Storage;

/// <summary>
/// One statement waiting for the next group commit, and the caller waiting for its outcome. Every statement of
/// the grain store returns a result set of at most one row of (etag, payload), so one shape serves reads, writes
/// and deletes; a statement that returns no result set at all is refused, since results are matched by position.
/// </summary>
internal sealed class GroupCommitStatement(string sql, object?[] parameters)
{
    private readonly TaskCompletionSource<StoredRow?> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<StoredRow?> Outcome => _outcome.Task;

    private readonly string _sql = ReturnsResultSet(sql)
        ? sql
        : throw new ArgumentException($"A group-commit statement must return a result set (SELECT or RETURNING): {sql}", nameof(sql));

    private static bool ReturnsResultSet(string sql) =>
        sql.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase)
        || sql.Contains(" RETURNING ", StringComparison.OrdinalIgnoreCase);

    public NpgsqlBatchCommand ToCommand()
    {
        var command = new NpgsqlBatchCommand(_sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        }

        return command;
    }

    /// <summary>Reads this statement's result set (the reader is positioned on it) and remembers the row, if any.</summary>
    public async Task<StoredRow?> ReadRowAsync(NpgsqlDataReader reader)
    {
        if (!await reader.ReadAsync())
        {
            return null;
        }

        var payload = await reader.IsDBNullAsync(1) ? null : reader.GetFieldValue<byte[]>(1);
        return new StoredRow(reader.GetInt64(0), payload);
    }

    public void Succeed(StoredRow? row) => _outcome.TrySetResult(row);

    public void Fail(Exception error) => _outcome.TrySetException(error);
}
