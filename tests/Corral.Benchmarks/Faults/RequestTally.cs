using System.Collections.Concurrent;

namespace Corral.Benchmarks.Faults;

/// <summary>How the gateways answered the load's requests: counted from the client's side, thread-safe.</summary>
public sealed class RequestTally
{
    private long _accepted;
    private long _refused;
    private long _failed;
    private long _hung;
    private long _unreachable;
    private readonly ConcurrentQueue<string> _failures = new();

    /// <summary>202 Accepted.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>503 with Retry-After: the outage answered as it should be.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>500 (or another 5xx, or a 503 without Retry-After): what must never happen.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>No answer within <see cref="SteadyLoad.RequestTimeout"/>.</summary>
    public long Hung => Interlocked.Read(ref _hung);

    /// <summary>The gateway's port refused the connection (that gateway was killed); the client tried the other.</summary>
    public long Unreachable => Interlocked.Read(ref _unreachable);

    /// <summary>What each failed or unanswered request got, for the report.</summary>
    public IEnumerable<string> Failures => _failures;

    public void CountAccepted() => Interlocked.Increment(ref _accepted);

    public void CountRefused() => Interlocked.Increment(ref _refused);

    public void CountFailed(string what)
    {
        Interlocked.Increment(ref _failed);
        _failures.Enqueue($"{DateTime.UtcNow:HH:mm:ss.f} {what}");
    }

    public void CountHung(string what)
    {
        Interlocked.Increment(ref _hung);
        _failures.Enqueue($"{DateTime.UtcNow:HH:mm:ss.f} no answer: {what}");
    }

    public void CountUnreachable() => Interlocked.Increment(ref _unreachable);
}
