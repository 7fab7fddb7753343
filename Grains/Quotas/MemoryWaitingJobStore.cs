using System.Collections.Concurrent;
using Corral.Scheduling;

namespace Corral.Quotas;

/// <summary>The waiting jobs of an in-memory cluster (tests, benchmarks): gone with the process, like its grain state.</summary>
public sealed class MemoryWaitingJobStore : IWaitingJobStore
{
    private readonly ConcurrentDictionary<GrainId, Dictionary<string, WaitingJob>> _queues = new();

    public Task<IReadOnlyList<WaitingJob>> LoadAsync(GrainId quota)
    {
        var queue = _queues.GetOrAdd(quota, _ => []);
        lock (queue)
        {
            return Task.FromResult<IReadOnlyList<WaitingJob>>([.. queue.Values]);
        }
    }

    public async Task SaveAsync(
        GrainId quota, string stateName, IReadOnlyList<WaitingJob> stored, IReadOnlyList<string> deleted, Func<Task> writeState)
    {
        await writeState();
        var queue = _queues.GetOrAdd(quota, _ => []);
        lock (queue)
        {
            foreach (var jobId in deleted)
            {
                queue.Remove(jobId);
            }

            foreach (var job in stored)
            {
                queue[job.JobId] = job;
            }
        }
    }

    public Task<IReadOnlyList<GrainId>> ListQuotasWithWaitingJobsAsync() =>
        Task.FromResult<IReadOnlyList<GrainId>>([.. _queues.Where(q => Count(q.Value) > 0).Select(q => q.Key)]);

    public Task<IReadOnlySet<string>> WhichWaitAsync(IReadOnlyCollection<string> jobIds)
    {
        var waiting = new HashSet<string>(StringComparer.Ordinal);
        foreach (var queue in _queues.Values)
        {
            lock (queue)
            {
                waiting.UnionWith(jobIds.Where(queue.ContainsKey));
            }
        }

        return Task.FromResult<IReadOnlySet<string>>(waiting);
    }

    private static int Count(Dictionary<string, WaitingJob> queue)
    {
        lock (queue)
        {
            return queue.Count;
        }
    }
}
