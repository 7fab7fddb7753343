using Corral.Jobs;

namespace Corral.Gateway.Live;

/// <summary>
/// Keeps one job's events in order on their way out: observer calls may be dispatched concurrently, so a view
/// older than one already forwarded is dropped instead of sent after it. Older means fewer history steps, or,
/// for a job still waiting, the same steps and a position further back (a waiting job only ever moves up).
/// Counter updates carry the same steps and no position, so they always pass.
/// </summary>
public sealed class JobEventOrder
{
    private const int MaxTracked = 100_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (int Steps, int? QueuePosition)> _forwarded = new(StringComparer.Ordinal);

    public bool IsStale(JobView job)
    {
        lock (_gate)
        {
            if (_forwarded.TryGetValue(job.Id, out var forwarded)
                && (job.History.Count < forwarded.Steps
                    || (job.History.Count == forwarded.Steps && job.QueuePosition > forwarded.QueuePosition)))
            {
                return true;
            }

            if (_forwarded.Count >= MaxTracked)
            {
                // A bound on memory: forgetting old jobs only loses the guard for them, never an event.
                _forwarded.Clear();
            }

            _forwarded[job.Id] = (job.History.Count, job.QueuePosition);
            return false;
        }
    }
}
