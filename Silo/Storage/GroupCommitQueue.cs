using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Corral.Silo.Storage;

/// <summary>
/// Runs the grain store's statements in as few transactions as the load allows: a group commit. Statements
/// that arrive while a commit is in flight wait for the next one, which takes all of them (up to
/// <see cref="MaxStatementsPerCommit"/>) in one round trip and one transaction, so PostgreSQL flushes its log
/// once for many grain writes. Nobody hears "written" before the transaction that holds their statement has
/// committed, so durability is exactly that of one commit per write; only the cost is shared.
/// </summary>
/// <remarks>
/// With one statement waiting it commits at once (no timer, no added latency when idle). Each of the
/// <see cref="Committers"/> loops has its own connection, so while some wait for their log flush another is free
/// to take what arrives: under light load a write rarely waits for someone else's commit to finish, and under
/// heavy load every loop is busy and the batches grow.
/// </remarks>
public sealed partial class GroupCommitQueue : IAsyncDisposable
{
    public const int MaxStatementsPerCommit = 256;

    public const int Committers = 4;

    private readonly Channel<GroupCommitStatement> _waiting =
        Channel.CreateUnbounded<GroupCommitStatement>(new UnboundedChannelOptions { SingleReader = false });

    private readonly NpgsqlDataSource _database;
    private readonly ILogger<GroupCommitQueue> _logger;
    private readonly Task[] _loops;
    private long _commits;
    private long _statements;

    public GroupCommitQueue(NpgsqlDataSource database, ILogger<GroupCommitQueue> logger)
    {
        _database = database;
        _logger = logger;
        _loops = [.. Enumerable.Range(0, Committers).Select(_ => Task.Run(CommitLoopAsync))];
    }

    /// <summary>Transactions committed so far, and the statements they held (for benchmarks and tests).</summary>
    public (long Commits, long Statements) Totals => (Interlocked.Read(ref _commits), Interlocked.Read(ref _statements));

    /// <summary>Runs one statement in the next group commit; completes once that commit is durable.</summary>
    /// <remarks>
    /// Every statement must return a result set of (bigint, bytea), even an empty one (a SELECT, or RETURNING):
    /// a batch's results are matched to its statements by position, and a statement without a result set (an
    /// INSERT with no RETURNING) has none for the reader to step over, which would shift all the rest.
    /// </remarks>
    public Task<StoredRow?> RunAsync(string sql, params object[] parameters)
    {
        var statement = new GroupCommitStatement(sql, parameters);
        if (!_waiting.Writer.TryWrite(statement))
        {
            statement.Fail(new ObjectDisposedException(nameof(GroupCommitQueue), "the grain store is shut down"));
        }

        return statement.Outcome;
    }

    public async ValueTask DisposeAsync()
    {
        // Whatever was accepted is still committed: the loops drain the channel before they end.
        _waiting.Writer.TryComplete();
        await Task.WhenAll(_loops);
    }

    private async Task CommitLoopAsync()
    {
        var batch = new List<GroupCommitStatement>(MaxStatementsPerCommit);
        while (await _waiting.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxStatementsPerCommit && _waiting.Reader.TryRead(out var statement))
            {
                batch.Add(statement);
            }

            if (batch.Count > 0)
            {
                await CommitAsync(batch);
            }
        }
    }

    private async Task CommitAsync(IReadOnlyList<GroupCommitStatement> statements)
    {
        try
        {
            var rows = await ExecuteAsync(statements);
            Interlocked.Increment(ref _commits);
            Interlocked.Add(ref _statements, statements.Count);
            for (var i = 0; i < statements.Count; i++)
            {
                statements[i].Succeed(rows[i]);
            }
        }
        catch (PostgresException error) when (statements.Count > 1)
        {
            // One statement failed and rolled the whole transaction back (nothing of it is stored): run each
            // alone, so only the caller whose statement is at fault hears of it.
            LogBatchSplit(statements.Count, error.MessageText);
            foreach (var statement in statements)
            {
                await CommitAsync([statement]);
            }
        }
        catch (Exception error)
        {
            foreach (var statement in statements)
            {
                statement.Fail(error);
            }
        }
    }

    /// <summary>
    /// Sends the statements as one batch. Without an explicit transaction Npgsql sends them with a single
    /// Sync, so PostgreSQL runs them in one implicit transaction: all commit together or none does.
    /// </summary>
    private async Task<StoredRow?[]> ExecuteAsync(IReadOnlyList<GroupCommitStatement> statements)
    {
        await using var connection = await _database.OpenConnectionAsync();
        await using var batch = new NpgsqlBatch(connection);
        foreach (var statement in statements)
        {
            batch.BatchCommands.Add(statement.ToCommand());
        }

        var rows = new StoredRow?[statements.Count];
        await using var reader = await batch.ExecuteReaderAsync();
        for (var i = 0; i < statements.Count; i++)
        {
            if (i > 0 && !await reader.NextResultAsync())
            {
                throw new InvalidOperationException($"PostgreSQL returned {i} results for a batch of {statements.Count} statements.");
            }

            rows[i] = await statements[i].ReadRowAsync(reader);
        }

        return rows;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A group commit of {Count} statements failed ({Error}); running them one by one")]
    private partial void LogBatchSplit(int count, string error);
}
