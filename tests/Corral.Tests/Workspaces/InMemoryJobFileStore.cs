using System.Collections.Concurrent;
using Corral.Files;

namespace Corral.Tests.Workspaces;

/// <summary>An <see cref="IJobFileStore"/> in a dictionary, for unit tests of what reads and writes the store.</summary>
public sealed class InMemoryJobFileStore : IJobFileStore
{
    private readonly ConcurrentDictionary<(string JobId, JobFileSet Set, string Path), byte[]> _files = new();

    private readonly Queue<Exception> _copyFailures = new();

    /// <summary>The next copies throw these, one each, in order (a database outage, say).</summary>
    public void FailNextCopies(params Exception[] failures)
    {
        lock (_copyFailures)
        {
            foreach (var failure in failures)
            {
                _copyFailures.Enqueue(failure);
            }
        }
    }

    public void Put(string jobId, JobFileSet set, string path, byte[] content) => _files[(jobId, set, path)] = content;

    public byte[]? Get(string jobId, JobFileSet set, string path) => _files.TryGetValue((jobId, set, path), out var content) ? content : null;

    public async Task<long> SaveAsync(string jobId, JobFileSet set, string path, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken);
        if (buffer.Length > maxBytes)
        {
            throw new FileTooLargeException(path, maxBytes);
        }

        _files[(jobId, set, path)] = buffer.ToArray();
        return buffer.Length;
    }

    public Task<IReadOnlyList<StoredFile>> ListAsync(string jobId, JobFileSet set, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<StoredFile>>([.. _files
            .Where(f => f.Key.JobId == jobId && f.Key.Set == set)
            .Select(f => new StoredFile(f.Key.Path, f.Value.Length))
            .OrderBy(f => f.Path, StringComparer.Ordinal)]);

    public async Task<bool> CopyToAsync(string jobId, JobFileSet set, string path, Stream destination, CancellationToken cancellationToken)
    {
        lock (_copyFailures)
        {
            if (_copyFailures.TryDequeue(out var failure))
            {
                throw failure;
            }
        }

        if (Get(jobId, set, path) is not { } content)
        {
            return false;
        }

        await destination.WriteAsync(content, cancellationToken);
        return true;
    }

    public Task<int> DeleteAsync(string jobId, JobFileSet set, CancellationToken cancellationToken)
    {
        var keys = _files.Keys.Where(k => k.JobId == jobId && k.Set == set).ToList();
        foreach (var key in keys)
        {
            _files.TryRemove(key, out _);
        }

        return Task.FromResult(keys.Count);
    }
}
