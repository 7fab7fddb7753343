using Corral.Jobs;

namespace Corral.Gateway.Live;

/// <summary>
/// Keeps one job's events in order on their way out: observer calls may be dispatched concurrently, so a view
/// older than one already forwarded (fewer history steps) is dropped instead of sent after it.
/// </summary>
public sealed class JobEventOrder
{
    private const int MaxTracked = 100_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _forwarded = new(StringComparer.Ordinal);

    public bool IsStale(JobView job)
    {
        lock (_gate)
        {
            if (_forwarded.TryGetValue(job.Id, out var steps) && job.History.Count < steps)
            {
                return true;
            }

            if (_forwarded.Count >= MaxTracked)
            {
                // A bound on memory: forgetting old jobs only loses the guard for them, never an event.
                _forwarded.Clear();
            }

            _forwarded[job.Id] = job.History.Count;
            return false;
        }
    }
}
