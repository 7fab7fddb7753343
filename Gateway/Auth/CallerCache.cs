using System.Collections.Concurrent;
using Corral.Gateway.Users;

namespace Corral.Gateway.Auth;

/// <summary>
/// Token hash → caller, each entry trusted until the earlier of its token's expiry and a few seconds after it was
/// read (<see cref="TokenCacheSettings"/>). The hot path stays one dictionary look-up and one time comparison; a
/// token revoked on another gateway drops out here when its entry runs out, one revoked here at once (<see cref="Evict"/>).
/// </summary>
public sealed class CallerCache(TokenCacheSettings settings, TimeProvider clock)
{
    /// <summary>Entries added between sweeps of run-out ones, so the cache holds about the tokens used lately.</summary>
    private const int SweepEvery = 1024;

    private readonly ConcurrentDictionary<string, Entry> _byTokenHash = new(StringComparer.Ordinal);
    private int _addsSinceSweep;

    public Caller? Find(string tokenHash)
    {
        if (!_byTokenHash.TryGetValue(tokenHash, out var entry))
        {
            return null;
        }

        if (clock.GetUtcNow() < entry.ValidUntil)
        {
            return entry.Caller;
        }

        // Removes this entry only, not one a concurrent request has just put in its place.
        _byTokenHash.TryRemove(new KeyValuePair<string, Entry>(tokenHash, entry));
        return null;
    }

    /// <summary>Remembers a caller read from PostgreSQL at <paramref name="readAt"/>, whose token expires at <paramref name="expiresAt"/>.</summary>
    public void Add(string tokenHash, Caller caller, DateTimeOffset? expiresAt, DateTimeOffset readAt)
    {
        if (settings.Lifetime <= TimeSpan.Zero)
        {
            return;
        }

        var validUntil = readAt + settings.Lifetime;
        if (expiresAt is { } expiry && expiry < validUntil)
        {
            validUntil = expiry;
        }

        _byTokenHash[tokenHash] = new Entry(caller, validUntil);
        if (Interlocked.Increment(ref _addsSinceSweep) >= SweepEvery)
        {
            Interlocked.Exchange(ref _addsSinceSweep, 0);
            Sweep();
        }
    }

    public void Evict(IEnumerable<string> tokenHashes)
    {
        foreach (var hash in tokenHashes)
        {
            _byTokenHash.TryRemove(hash, out _);
        }
    }

    public void Clear() => _byTokenHash.Clear();

    private void Sweep()
    {
        var now = clock.GetUtcNow();
        foreach (var (hash, entry) in _byTokenHash)
        {
            if (entry.ValidUntil <= now)
            {
                _byTokenHash.TryRemove(new KeyValuePair<string, Entry>(hash, entry));
            }
        }
    }

    private sealed record Entry(Caller Caller, DateTimeOffset ValidUntil);
}
