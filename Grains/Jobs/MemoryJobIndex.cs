using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace Corral.Jobs;

/// <summary>The job index of an in-memory cluster (tests, benchmarks): gone with the process, like its grain state.</summary>
public sealed class MemoryJobIndex(TimeProvider clock) : IJobIndex
{
    private readonly ConcurrentDictionary<string, (JobRow Row, DateTimeOffset WrittenAt)> _rows = new(StringComparer.Ordinal);

    public IReadOnlyCollection<JobRow> Rows => [.. _rows.Values.Select(v => v.Row)];

    public async Task SaveAsync(JobRow row, Func<Task> writeState)
    {
        await writeState();
        await WriteRowAsync(row);
    }

    public Task WriteRowAsync(JobRow row)
    {
        _rows[row.Id] = (row, clock.GetUtcNow());
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> ListUnfinishedAsync(TimeSpan quietFor, string? after, int limit)
    {
        var before = clock.GetUtcNow() - quietFor;
        IReadOnlyList<string> ids = [.. _rows.Values
            .Where(v => v.Row.Unfinished && v.WrittenAt <= before && string.CompareOrdinal(v.Row.Id, after ?? "") > 0)
            .Select(v => v.Row.Id)
            .Order(StringComparer.Ordinal)
            .Take(limit)];
        return Task.FromResult(ids);
    }

    public Task<IReadOnlyList<string>> ListUsersWithUnfinishedJobsAsync(string service)
    {
        IReadOnlyList<string> users = [.. _rows.Values
            .Where(v => v.Row.Unfinished && string.Equals(v.Row.Service, service, StringComparison.OrdinalIgnoreCase))
            .Select(v => v.Row.User)
            .Distinct(StringComparer.Ordinal)];
        return Task.FromResult(users);
    }

    public Task<ImmutableArray<string>> ListIdsAsync(string user, int limit) => Task.FromResult(_rows.Values
        .Where(v => v.Row.User == user)
        .OrderByDescending(v => v.Row.SubmittedAt)
        .ThenByDescending(v => v.Row.Id, StringComparer.Ordinal)
        .Take(limit)
        .Select(v => v.Row.Id)
        .ToImmutableArray());
}
