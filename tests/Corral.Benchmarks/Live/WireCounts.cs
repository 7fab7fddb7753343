namespace Corral.Benchmarks.Live;

/// <summary>WebSocket messages (frames) and hub records received by a fleet of lean clients: several records share a frame when they were waiting together.</summary>
public sealed class WireCounts
{
    private long _frames;
    private long _records;
    private long _lost;
    private string? _firstLoss;

    public long Frames => Interlocked.Read(ref _frames);

    public long Records => Interlocked.Read(ref _records);

    /// <summary>Clients whose connection ended or failed before the fleet closed them.</summary>
    public long LostClients => Interlocked.Read(ref _lost);

    /// <summary>Why the first of them was lost.</summary>
    public string? FirstLoss => _firstLoss;

    public void Frame() => Interlocked.Increment(ref _frames);

    public void Lost(Exception error)
    {
        Interlocked.Increment(ref _lost);
        Interlocked.CompareExchange(ref _firstLoss, $"{error.GetType().Name}: {error.Message}", null);
    }

    public void Record() => Interlocked.Increment(ref _records);

    public void Reset()
    {
        Interlocked.Exchange(ref _frames, 0);
        Interlocked.Exchange(ref _records, 0);
    }
}
