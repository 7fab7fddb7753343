namespace Corral.Quotas;

/// <summary>
/// Wakes a quota grain when the first waiting user's spent budget frees up. It runs on <see cref="BudgetClock"/>
/// rather than as a grain timer, so a test that moves that clock fires it; the wake is a call through the grain's own
/// reference, so it runs in the grain's turn like any other call. Not persisted: the grain arms it again when it
/// activates (a queued job's reconcile wakes the grain after a crash).
/// </summary>
public sealed class BudgetTimer(TimeProvider clock, Func<Task> wake) : IDisposable
{
    // The grain arms it in its turns; the timer fires on a pool thread.
    private readonly Lock _lock = new();

    private ITimer? _timer;

    private DateTimeOffset? _due;

    /// <summary>Fires once at <paramref name="due"/>; null stops it. Re-arming for the same time changes nothing.</summary>
    public void Arm(DateTimeOffset? due)
    {
        lock (_lock)
        {
            if (due == _due)
            {
                return;
            }

            _timer?.Dispose();
            _timer = null;
            _due = due;
            if (due is { } at)
            {
                var delay = at - clock.GetUtcNow();
                _timer = clock.CreateTimer(_ => Fire(), null, delay > TimeSpan.Zero ? delay : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void Fire()
    {
        lock (_lock)
        {
            _due = null;
        }

        _ = wake();
    }

    public void Dispose() => Arm(null);
}
