using Corral.Jobs;

namespace Corral.Gateway.Live;

/// <summary>
/// Keeps one job's events in order on their way out: observer calls may be dispatched concurrently, so a view
/// older than one already forwarded is dropped instead of sent after it. Older means fewer history steps, or,
/// for a job still waiting, the same steps and a position further back (a waiting job only ever moves up).
/// Counter updates carry the same steps and no position, so they always pass.
/// </summary>
/// <remarks>
/// The check and the hand-over must be one step (<see cref="ForwardIfCurrent"/>): checked apart, an older view that
/// passed could be handed over after a newer one, and replace it in the outbox, so a client would miss the job's end.
/// </remarks>
public sealed class JobEventOrder
{
    private const int MaxTracked = 100_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (int Steps, int? QueuePosition)> _forwarded = new(StringComparer.Ordinal);

    /// <summary>Hands <paramref name="job"/> to <paramref name="forward"/> unless it is stale; says whether it did.</summary>
    public bool ForwardIfCurrent(JobView job, Action<JobView> forward)
    {
        lock (_gate)
        {
            if (IsStaleLocked(job))
            {
                return false;
            }

            forward(job);
            return true;
        }
    }

    /// <summary>Whether <paramref name="job"/> is older than a view already let through (and records it if not).</summary>
    public bool IsStale(JobView job)
    {
        lock (_gate)
        {
            return IsStaleLocked(job);
        }
    }

    private bool IsStaleLocked(JobView job)
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
