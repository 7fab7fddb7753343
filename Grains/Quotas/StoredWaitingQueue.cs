using Corral.Jobs;
using Corral.Scheduling;

namespace Corral.Quotas;

/// <summary>
/// A quota grain's waiting jobs: a <see cref="WaitingQueue"/> read from the <see cref="IWaitingJobStore"/> when the
/// grain activates, and whose changes are written with the grain's state.
/// </summary>
internal sealed class StoredWaitingQueue(IWaitingJobStore store, GrainId quota, string stateName, TimeProvider clock)
{
    public WaitingQueue Jobs { get; } = new();

    public async Task LoadAsync() => Jobs.Load(await store.LoadAsync(quota));

    /// <summary>The arrival number to continue from: past every stored job's, whatever the state remembered.</summary>
    public long NextSeq(long remembered) => Math.Max(remembered, Jobs.LastSeq + 1);

    /// <summary>A new waiting job of <paramref name="user"/>, numbered <paramref name="seq"/>, arriving now.</summary>
    public WaitingJob Arrival(string jobId, string user, JobPriority priority, long seq) =>
        new(jobId, user, priority, seq, clock.GetUtcNow());

    /// <summary>
    /// Adds the jobs of a queue kept in old state (first in line first) behind those already waiting, numbered from
    /// <paramref name="nextSeq"/> in their order; returns the next number after them.
    /// </summary>
    public long AdoptOldQueue(string user, IEnumerable<string> queue, IReadOnlyDictionary<string, JobPriority> priorities, long nextSeq)
    {
        foreach (var jobId in queue)
        {
            if (Jobs.Add(Arrival(jobId, user, priorities.GetValueOrDefault(jobId, JobPriority.Normal), nextSeq)))
            {
                nextSeq++;
            }
        }

        return nextSeq;
    }

    /// <summary>Writes the state (through <paramref name="writeState"/>) and the jobs' changes since the last save together.</summary>
    public Task SaveAsync(Func<Task> writeState)
    {
        var (stored, deleted) = Jobs.TakeChanges();
        return store.SaveAsync(quota, stateName, stored, deleted, writeState);
    }
}
