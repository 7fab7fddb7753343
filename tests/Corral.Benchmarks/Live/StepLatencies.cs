namespace Corral.Benchmarks.Live;

/// <summary>
/// One recorded delivery of a job's step: which job and step, how long after the grain recorded it, and when it was
/// received (a <see cref="System.Diagnostics.Stopwatch"/> timestamp: the monotonic clock, which a system-wide profile can
/// be cut by).
/// </summary>
public readonly record struct StepLatency(string Job, string Status, double Ms, long ReceivedAt);

/// <summary>
/// The latencies a fleet records, in room set aside once when the fleet connects: recording a delivery claims the
/// next slot and allocates nothing. Clients of any thread may record at once.
/// </summary>
/// <remarks>
/// Why not a growing collection: a queue of 100,000 and more entries grows by segments that soon land on the large
/// object heap, and any collection of the load generator mid-round pauses every client's reading, which would be
/// measured as the servers' latency. The round prints the clients' collections (<c>clients_gc_count</c>).
/// </remarks>
public sealed class StepLatencies(int clients)
{
    /// <summary>Room per client: 45 jobs a round with at most five steps each, with ample margin.</summary>
    private const int StepsPerClient = 512;

    private readonly StepLatency[] _slots = new StepLatency[Math.Max(clients, 1) * StepsPerClient];
    private long _claimed;

    /// <summary>Deliveries that found no room left (reported, never silently lost).</summary>
    public long Overflow => Math.Max(0, Interlocked.Read(ref _claimed) - _slots.Length);

    /// <summary>The latencies recorded since the last <see cref="Clear"/>.</summary>
    public IEnumerable<StepLatency> All => _slots.Take((int)Math.Min(Interlocked.Read(ref _claimed), _slots.Length));

    public void Add(string job, string status, double ms, long receivedAt)
    {
        var slot = Interlocked.Increment(ref _claimed) - 1;
        if (slot < _slots.Length)
        {
            _slots[slot] = new StepLatency(job, status, ms, receivedAt);
        }
    }

    public void Clear()
    {
        Array.Clear(_slots);
        Interlocked.Exchange(ref _claimed, 0);
    }
}
