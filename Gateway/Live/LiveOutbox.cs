using System.Diagnostics;
using Corral.Gateway.Telemetry;
using Corral.Jobs;
using Corral.Quotas;

namespace Corral.Gateway.Live;

/// <summary>An event on its way to this gateway's SignalR clients.</summary>
public abstract record LiveEvent
{
    /// <summary>Events with the same key replace each other while they wait: only the newest is worth sending.</summary>
    public abstract string Key { get; }
}

/// <summary>A job's view, for its user's and the admins' connections.</summary>
public sealed record JobViewEvent(JobView Job) : LiveEvent
{
    public override string Key => "job:" + Job.Id;
}

/// <summary>A quota's usage, for its user's connections.</summary>
public sealed record QuotaUsageEvent(string User, QuotaUsage Usage) : LiveEvent
{
    public override string Key => "quota:" + User + "/" + Usage.Service;
}

/// <summary>
/// This gateway's outgoing job and quota events, sent by one loop in the order they came in, so that a feed grain
/// (and the job or quota grain behind it) never waits for this gateway to write to its sockets.
/// </summary>
/// <remarks>
/// Every event is a write to every connection of its user: with 1,000 connections, 50-80 ms of a small machine.
/// Two kinds are held back a moment, because a newer one of the same key nearly always follows within
/// milliseconds and makes them moot (see <see cref="HoldFor"/>); while an event waits, a newer one of its key
/// takes its place and its turn. Any other event goes out at once, and sends a held one of its key with it.
/// </remarks>
public sealed partial class LiveOutbox : IDisposable
{
    /// <summary>
    /// How long a job's pending view waits for the job's next step. A job admitted while a worker has room is
    /// placed (starting) 5-30 ms later, and that view's history carries the pending step: sending both is two
    /// fan-outs, back to back, for what a user sees as one change. A job that stays pending is shown this much later.
    /// </summary>
    public static readonly TimeSpan PendingHold = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How long a quota's usage waits for a newer one. It is a gauge: a burst of submissions or ends changes it many
    /// times a second and only the latest figure matters, and the job events that changed it go first.
    /// </summary>
    public static readonly TimeSpan QuotaHold = TimeSpan.FromMilliseconds(100);

    private readonly Func<LiveEvent, Task> _send;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Waiting> _waiting = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stopping = new();
    private long _nextTurn;

    public LiveOutbox(Func<LiveEvent, Task> send, TimeProvider clock, ILogger logger)
    {
        _send = send;
        _clock = clock;
        _logger = logger;
        _ = Task.Run(RunAsync);
    }

    /// <summary>How long an event may wait for a newer one of its key: zero for everything but the two kinds above.</summary>
    public static TimeSpan HoldFor(LiveEvent liveEvent) => liveEvent switch
    {
        JobViewEvent { Job.Status: JobStatus.Pending } => PendingHold,
        QuotaUsageEvent => QuotaHold,
        _ => TimeSpan.Zero,
    };

    /// <summary>Queues an event; returns at once.</summary>
    public void Post(LiveEvent liveEvent)
    {
        var now = _clock.GetTimestamp();
        var due = now + (long)(HoldFor(liveEvent).TotalSeconds * _clock.TimestampFrequency);
        lock (_gate)
        {
            if (_waiting.TryGetValue(liveEvent.Key, out var held))
            {
                // The newer event takes the older one's turn, and is not held longer than the older one would have been.
                _waiting[liveEvent.Key] = held with { Event = liveEvent, Due = Math.Min(held.Due, due) };
            }
            else
            {
                _waiting[liveEvent.Key] = new Waiting(liveEvent, due, _nextTurn++);
            }

            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
    }

    /// <summary>Stops sending; events still waiting are dropped (clients that reconnect elsewhere get the current state).</summary>
    public void Dispose() => _stopping.Cancel();

    private async Task RunAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            var (due, wait) = TakeDue();
            foreach (var liveEvent in due)
            {
                try
                {
                    var started = Stopwatch.GetTimestamp();
                    await _send(liveEvent);
                    LiveMetrics.FanOut.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
                }
                catch (Exception error) when (error is not OperationCanceledException)
                {
                    // One event lost for this gateway's clients; the next change of that job or quota carries its state.
                    LogSendFailed(liveEvent.Key, error.Message);
                }
            }

            if (due.Count == 0)
            {
                await WaitAsync(wait);
            }
        }
    }

    /// <summary>Removes the events that are due, in their turns' order; says how long until the next one is.</summary>
    private (List<LiveEvent> Due, TimeSpan? Wait) TakeDue()
    {
        lock (_gate)
        {
            var now = _clock.GetTimestamp();
            var due = _waiting.Values.Where(w => w.Due <= now).OrderBy(w => w.Turn).ToList();
            foreach (var waiting in due)
            {
                _waiting.Remove(waiting.Event.Key);
            }

            TimeSpan? wait = _waiting.Count == 0 ? null : _clock.GetElapsedTime(now, _waiting.Values.Min(w => w.Due));
            return (due.ConvertAll(w => w.Event), wait);
        }
    }

    /// <summary>Until an event is posted, or the next held one is due.</summary>
    private async Task WaitAsync(TimeSpan? wait)
    {
        try
        {
            if (wait is not { } delay)
            {
                await _wake.WaitAsync(_stopping.Token);
                return;
            }

            using var either = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            await Task.WhenAny(_wake.WaitAsync(either.Token), Task.Delay(delay, _clock, either.Token));
            // Ends the other wait. A wake-up it took at the same moment is not lost: the loop looks again anyway.
            await either.CancelAsync();
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private sealed record Waiting(LiveEvent Event, long Due, long Turn);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live event {Key} not sent: {Error}")]
    private partial void LogSendFailed(string key, string error);
}
