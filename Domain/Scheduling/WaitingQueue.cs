using Corral.Jobs;

namespace Corral.Scheduling;

/// <summary>
/// The jobs waiting for slots of one quota, each user's in their own line: higher priority first, then arrival
/// (<see cref="WaitingJob.Seq"/>), so a user's jobs of one priority leave in the order they came (FIFO).
/// </summary>
/// <remarks>
/// Adding, removing and taking the next job cost O(log n), whatever the number waiting. The queue also notes what
/// changed since its owner last stored it (<see cref="TakeChanges"/>), so storing it costs the change, not the queue.
/// </remarks>
public sealed class WaitingQueue
{
    private readonly Dictionary<string, SortedSet<WaitingJob>> _lines = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WaitingJob> _jobs = new(StringComparer.Ordinal);

    // Job id to its row as it must now be stored: the job, or null where it left.
    private readonly Dictionary<string, WaitingJob?> _changes = new(StringComparer.Ordinal);

    /// <summary>Jobs waiting, across all users.</summary>
    public int Count => _jobs.Count;

    /// <summary>The users with waiting jobs.</summary>
    public IEnumerable<string> Users => _lines.Keys;

    /// <summary>Every waiting job, in no particular order.</summary>
    public IEnumerable<WaitingJob> Jobs => _jobs.Values;

    /// <summary>The highest <see cref="WaitingJob.Seq"/> waiting, or -1 when none is.</summary>
    public long LastSeq => _jobs.Count == 0 ? -1 : _jobs.Values.Max(j => j.Seq);

    public int CountOf(string user) => _lines.TryGetValue(user, out var line) ? line.Count : 0;

    public bool Contains(string jobId) => _jobs.ContainsKey(jobId);

    public WaitingJob? Find(string jobId) => _jobs.GetValueOrDefault(jobId);

    /// <summary>Puts jobs read back from storage in their places, without noting them as changes.</summary>
    public void Load(IEnumerable<WaitingJob> stored)
    {
        foreach (var job in stored)
        {
            Insert(job);
        }
    }

    /// <summary>Adds a job to its user's line; false (and nothing changes) when a job of that id already waits.</summary>
    public bool Add(WaitingJob job)
    {
        if (_jobs.ContainsKey(job.JobId))
        {
            return false;
        }

        Insert(job);
        _changes[job.JobId] = job;
        return true;
    }

    /// <summary>Takes a job out of the queue wherever it stands; null when it was not waiting.</summary>
    public WaitingJob? Remove(string jobId)
    {
        if (!_jobs.Remove(jobId, out var job))
        {
            return null;
        }

        var line = _lines[job.User];
        line.Remove(job);
        if (line.Count == 0)
        {
            _lines.Remove(job.User);
        }

        _changes[jobId] = null;
        return job;
    }

    /// <summary>The first job of the user's line, left in place; null when they have none waiting.</summary>
    public WaitingJob? Peek(string user) => _lines.TryGetValue(user, out var line) ? line.Min : null;

    /// <summary>Takes the first job of the user's line; null when they have none waiting.</summary>
    public WaitingJob? TakeNext(string user) =>
        _lines.TryGetValue(user, out var line) ? Remove(line.Min!.JobId) : null;

    /// <summary>
    /// Gives a waiting job another priority; it keeps its arrival number, so among its new equals it stands where
    /// its arrival puts it. False when the job is not waiting.
    /// </summary>
    public bool Move(string jobId, JobPriority priority)
    {
        if (Remove(jobId) is not { } job)
        {
            return false;
        }

        var moved = job with { Priority = priority };
        Insert(moved);
        _changes[jobId] = moved;
        return true;
    }

    /// <summary>Where a job stands in its user's line, 1 for the next; null when it is not waiting.</summary>
    /// <remarks>O(1) for the last in line (the usual newcomer), otherwise proportional to the position.</remarks>
    public int? PositionOf(string jobId)
    {
        if (!_jobs.TryGetValue(jobId, out var job))
        {
            return null;
        }

        var line = _lines[job.User];
        if (ReferenceEquals(line.Max, job))
        {
            return line.Count;
        }

        var position = 1;
        foreach (var ahead in line)
        {
            if (ReferenceEquals(ahead, job))
            {
                break;
            }

            position++;
        }

        return position;
    }

    /// <summary>The first <paramref name="count"/> jobs of the user's line, next first.</summary>
    public IEnumerable<WaitingJob> Front(string user, int count) =>
        _lines.TryGetValue(user, out var line) ? line.Take(count) : [];

    /// <summary>
    /// What changed since the last call: the jobs to store (added or moved) and the ids to delete (left); then
    /// forgets them. A job added and gone again in between is only deleted, which finds nothing to delete.
    /// </summary>
    public (IReadOnlyList<WaitingJob> Stored, IReadOnlyList<string> Deleted) TakeChanges()
    {
        var stored = _changes.Values.OfType<WaitingJob>().ToList();
        var deleted = _changes.Where(c => c.Value is null).Select(c => c.Key).ToList();
        _changes.Clear();
        return (stored, deleted);
    }

    private void Insert(WaitingJob job)
    {
        if (!_lines.TryGetValue(job.User, out var line))
        {
            _lines[job.User] = line = new SortedSet<WaitingJob>(LineOrder.Instance);
        }

        line.Add(job);
        _jobs[job.JobId] = job;
    }

    /// <summary>Higher priority first, then the lower arrival number; the id settles equal numbers (never in one queue).</summary>
    private sealed class LineOrder : IComparer<WaitingJob>
    {
        public static readonly LineOrder Instance = new();

        public int Compare(WaitingJob? x, WaitingJob? y)
        {
            var byPriority = y!.Priority.CompareTo(x!.Priority);
            if (byPriority != 0)
            {
                return byPriority;
            }

            var bySeq = x.Seq.CompareTo(y.Seq);
            return bySeq != 0 ? bySeq : string.CompareOrdinal(x.JobId, y.JobId);
        }
    }
}
