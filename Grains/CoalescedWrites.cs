namespace Corral;

/// <summary>
/// Writes a reentrant grain's state for every change made while an earlier write was in flight with one write, so
/// a grain that many calls go through (every admission of a capped service, every reservation and release on a
/// worker) is not held to one database round trip per call.
/// </summary>
/// <remarks>
/// A caller changes the grain's memory, then awaits <see cref="SaveAsync"/>: it completes once a write that began
/// after the change has completed, so what the caller then tells others is stored, as with one write per call. The
/// grain runs one turn at a time, so a write (which reads the state synchronously as it begins) never sees half a
/// change. After a failed write the memory is ahead of what is stored and the rows written beside the state may be
/// too, so every later save fails as well and the grain is deactivated to start again from what is stored.
/// </remarks>
public sealed class CoalescedWrites(Func<Task> write, Action onFailure)
{
    private long _changed;
    private long _stored;
    private Task? _writing;
    private Exception? _failed;

    /// <summary>Notes a change made in memory and completes once it is stored.</summary>
    public Task SaveAsync()
    {
        _changed++;
        return StoredAsync();
    }

    /// <summary>Completes once every change made so far is stored (at once when nothing waits to be written).</summary>
    public async Task StoredAsync()
    {
        var target = _changed;
        while (_stored < target)
        {
            if (_failed is not null)
            {
                throw new InvalidOperationException("An earlier write of this grain's state failed; it starts again from what is stored.", _failed);
            }

            // A write still in flight may have read the state before the change: wait for it, then write again.
            if (_writing is not { IsCompleted: false })
            {
                _writing = WriteAsync();
            }

            await _writing;
        }
    }

    private async Task WriteAsync()
    {
        var covers = _changed;
        try
        {
            await write();
            _stored = Math.Max(_stored, covers);
        }
        catch (Exception error)
        {
            _failed = error;
            onFailure();
            throw;
        }
    }
}
