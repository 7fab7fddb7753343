namespace Corral.Storage;

/// <summary>
/// Statements gathered to go into one group commit together (see <see cref="GroupCommitQueue.RunTogetherAsync(Func{Task}, string, object?[])"/>).
/// Closed once handed to the queue: a statement that comes later goes into a commit of its own.
/// </summary>
internal sealed class StatementGathering
{
    private readonly List<GroupCommitStatement> _statements = [];
    private readonly TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _closed;

    /// <summary>Completes when the first statement is gathered.</summary>
    public Task Arrived => _arrived.Task;

    public bool TryAdd(GroupCommitStatement statement)
    {
        lock (_statements)
        {
            if (_closed)
            {
                return false;
            }

            _statements.Add(statement);
            _arrived.TrySetResult();
            return true;
        }
    }

    public IReadOnlyList<GroupCommitStatement> Close()
    {
        lock (_statements)
        {
            _closed = true;
            return [.. _statements];
        }
    }
}
