using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace Corral.Users;

/// <summary>The job index of an in-memory cluster (tests, benchmarks): gone with the process, like its grain state.</summary>
public sealed class MemoryUserJobIndex : IUserJobIndex
{
    private readonly ConcurrentDictionary<string, List<string>> _jobs = new();

    public Task AddAsync(string user, string jobId)
    {
        var jobs = _jobs.GetOrAdd(user, _ => []);
        lock (jobs)
        {
            if (!jobs.Contains(jobId))
            {
                jobs.Add(jobId);
            }
        }

        return Task.CompletedTask;
    }

    public Task<ImmutableArray<string>> ListAsync(string user)
    {
        if (!_jobs.TryGetValue(user, out var jobs))
        {
            return Task.FromResult(ImmutableArray<string>.Empty);
        }

        lock (jobs)
        {
            return Task.FromResult(jobs.AsEnumerable().Reverse().ToImmutableArray());
        }
    }
}
