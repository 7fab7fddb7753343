using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Corral.Storage;

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

    // Each item is statements that must share a transaction: usually one, a gathering of several (RunTogetherAsync).
    private readonly Channel<IReadOnlyList<GroupCommitStatement>> _waiting =
        Channel.CreateUnbounded<IReadOnlyList<GroupCommitStatement>>(new UnboundedChannelOptions { SingleReader = false });

    private readonly AsyncLocal<StatementGathering?> _gathering = new();

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
    public Task<StoredRow?> RunAsync(string sql, params object?[] parameters)
    {
        var statement = new GroupCommitStatement(sql, parameters);
        if (_gathering.Value is not { } gathering || !gathering.TryAdd(statement))
        {
            Enqueue([statement]);
        }

        return statement.Outcome;
    }

    /// <summary>
    /// Runs <paramref name="work"/> and one more statement in the same transaction: the first statement the work
    /// hands to this queue (a grain store's write, say; it flows there with the work's execution context, through
    /// any awaits) is gathered with <paramref name="sql"/> into one commit, so either both are stored or neither is.
    /// </summary>
    /// <remarks>
    /// When the work ends without handing anything to this queue (it writes elsewhere, e.g. Orleans' ADO.NET
    /// store), the statement runs after the work has succeeded, so it never records a write that failed. A statement
    /// that is gathered commits even if the work then fails on a result it read (an optimistic-concurrency conflict).
    /// </remarks>
    public Task RunTogetherAsync(Func<Task> work, string sql, params object?[] parameters) =>
        RunTogetherAsync(work, _ => sql, parameters);

    /// <summary>
    /// As <see cref="RunTogetherAsync(Func{Task}, string, object?[])"/>, with the statement's text chosen by where it
    /// runs: <c>sql(true)</c> when it shares the work's transaction, after the work's statement, so it can check in
    /// SQL that the work's statement wrote what it meant to (and do nothing otherwise); <c>sql(false)</c> when it
    /// runs alone after the work succeeded.
    /// </summary>
    public async Task RunTogetherAsync(Func<Task> work, Func<bool, string> sql, params object?[] parameters)
    {
        var gathering = new StatementGathering();
        Task working;
        _gathering.Value = gathering;
        try
        {
            working = work();
        }
        finally
        {
            _gathering.Value = null;
        }

        // The work cannot end before its statement is committed, and that waits for this: no deadlock.
        await Task.WhenAny(gathering.Arrived, working);
        var gathered = gathering.Close();
        if (gathered.Count == 0)
        {
            await working;
            await RunAsync(sql(false), parameters);
            return;
        }

        var statement = new GroupCommitStatement(sql(true), parameters);
        Enqueue([.. gathered, statement]);
        await working;
        await statement.Outcome;
    }

    private void Enqueue(IReadOnlyList<GroupCommitStatement> statements)
    {
        if (!_waiting.Writer.TryWrite(statements))
        {
            foreach (var statement in statements)
            {
                statement.Fail(new ObjectDisposedException(nameof(GroupCommitQueue), "the grain store is shut down"));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Whatever was accepted is still committed: the loops drain the channel before they end.
        _waiting.Writer.TryComplete();
        await Task.WhenAll(_loops);
    }

    private async Task CommitLoopAsync()
    {
        var batch = new List<IReadOnlyList<GroupCommitStatement>>(MaxStatementsPerCommit);
        while (await _waiting.Reader.WaitToReadAsync())
        {
            batch.Clear();
            var count = 0;
            // A gathering is never split, so a commit may run a little past the maximum by the last one taken.
            while (count < MaxStatementsPerCommit && _waiting.Reader.TryRead(out var together))
            {
                batch.Add(together);
                count += together.Count;
            }

            if (batch.Count > 0)
            {
                await CommitAsync(batch);
            }
        }
    }

    private async Task CommitAsync(IReadOnlyList<IReadOnlyList<GroupCommitStatement>> batch)
    {
        var statements = batch.Count == 1 ? batch[0] : [.. batch.SelectMany(together => together)];
        try
        {
            var started = Stopwatch.GetTimestamp();
            var rows = await ExecuteAsync(statements);
            GroupCommitMetrics.Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            GroupCommitMetrics.BatchSize.Record(statements.Count);
            Interlocked.Increment(ref _commits);
            Interlocked.Add(ref _statements, statements.Count);
            for (var i = 0; i < statements.Count; i++)
            {
                statements[i].Succeed(rows[i]);
            }
        }
        catch (PostgresException error) when (batch.Count > 1)
        {
            // One statement failed and rolled the whole transaction back (nothing of it is stored): run each
            // gathering alone, so only the callers whose statements are at fault hear of it.
            LogBatchSplit(statements.Count, error.MessageText);
            foreach (var together in batch)
            {
                await CommitAsync([together]);
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
