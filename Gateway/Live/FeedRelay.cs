using System.Collections.Concurrent;
using Corral.Feeds;
using Corral.Jobs;
using Corral.Quotas;
using Corral.Users;
using Microsoft.AspNetCore.SignalR;

namespace Corral.Gateway.Live;

/// <summary>
/// This gateway's one observer of the cluster's feeds. It subscribes to the feeds its own connections need,
/// renews those subscriptions on a timer (they expire in the grains, so a dead gateway is forgotten), and
/// forwards each event to the SignalR group that wants it. Feeds nobody here wants any more are dropped.
/// Job and quota events go through a <see cref="LiveOutbox"/>, so the feed grains never wait for this gateway's
/// sockets; log chunks are sent as they come (each is new text, nothing to merge). When a renewal finds that a
/// user feed had forgotten this gateway (its grain came back on another silo after a silo died), the feed's clients
/// are sent their current state again, as a client that connects gets it.
/// </summary>
public sealed partial class FeedRelay(IGrainFactory grains, IHubContext<JobsHub> hub, LiveSnapshot snapshot, TimeProvider clock, ILogger<FeedRelay> logger)
    : IFeedObserver, IHostedService, IDisposable
{
    private readonly ConcurrentDictionary<string, int> _userWatchers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _logWatchers = new(StringComparer.Ordinal);
    private readonly JobEventOrder _order = new();
    private IFeedObserver? _reference;
    // Made with the relay: observer calls arrive concurrently, and two outboxes would be two loops out of order.
    private readonly LiveOutbox _outbox = new(e => SendAsync(hub, e), TimeProvider.System, logger);
    private FeedRenewal? _renewal;

    private IFeedObserver Reference => _reference ??= grains.CreateObjectReference<IFeedObserver>(this);

    public Task JobUpdatedAsync(JobView job)
    {
        _order.ForwardIfCurrent(job, view => _outbox.Post(new JobViewEvent(view)));
        return Task.CompletedTask;
    }

    public Task QuotaUpdatedAsync(string user, QuotaUsage usage)
    {
        _outbox.Post(new QuotaUsageEvent(user, usage));
        return Task.CompletedTask;
    }

    public Task LogAppendedAsync(LogChunk chunk) =>
        hub.Clients.Group(JobsHub.LogGroup(chunk.JobId)).SendAsync("logAppended", new { jobId = chunk.JobId, seq = chunk.Seq, text = chunk.Text });

    /// <summary>A connection wants a user's events (or everyone's, for admins: <see cref="IUserFeedGrain.AllUsers"/>).</summary>
    public Task WatchUserAsync(string user)
    {
        // Subscribing again is harmless (it renews), so every new watcher subscribes: it then sees events at once.
        var watchers = _userWatchers.AddOrUpdate(user, 1, (_, count) => count + 1);
        return SubscribeUserFeedAsync(user, watchedAlready: watchers > 1);
    }

    public void UnwatchUser(string user) => Release(_userWatchers, user);

    public Task WatchLogsAsync(string jobId) => WatchAsync(_logWatchers, jobId, () => grains.GetGrain<ILogFeedGrain>(jobId).SubscribeAsync(Reference));

    public void UnwatchLogs(string jobId) => Release(_logWatchers, jobId);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _renewal = new FeedRenewal(RenewAllAsync, FeedRenewal.Every, clock, logger);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _renewal?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _renewal?.Dispose();
        _outbox.Dispose();
        if (_reference is not null)
        {
            grains.DeleteObjectReference<IFeedObserver>(_reference);
        }
    }

    private static Task SendAsync(IHubContext<JobsHub> hub, LiveEvent liveEvent) => liveEvent switch
    {
        JobViewEvent e => hub.Clients.Groups(JobsHub.UserGroup(e.Job.User), JobsHub.AdminGroup).SendAsync("jobUpdated", e.Job),
        QuotaUsageEvent e => hub.Clients.Group(JobsHub.UserGroup(e.User)).SendAsync("quotaUpdated", e.Usage),
        _ => throw new ArgumentOutOfRangeException(nameof(liveEvent), liveEvent.GetType().Name, "not a live event"),
    };

    private static async Task WatchAsync(ConcurrentDictionary<string, int> watchers, string key, Func<Task> subscribe)
    {
        // Subscribing again is harmless (it renews), so every new watcher subscribes: it then sees events at once.
        watchers.AddOrUpdate(key, 1, (_, count) => count + 1);
        await subscribe();
    }

    private static void Release(ConcurrentDictionary<string, int> watchers, string key) =>
        watchers.AddOrUpdate(key, 0, (_, count) => Math.Max(0, count - 1));

    private Task RenewAllAsync() => Task.WhenAll(
        RenewAsync(_userWatchers, key => SubscribeUserFeedAsync(key, watchedAlready: true), key => grains.GetGrain<IUserFeedGrain>(key).UnsubscribeAsync(Reference)),
        RenewAsync(_logWatchers, key => grains.GetGrain<ILogFeedGrain>(key).SubscribeAsync(Reference), key => grains.GetGrain<ILogFeedGrain>(key).UnsubscribeAsync(Reference)));

    /// <summary>
    /// Subscribes to a user's feed, or renews. A feed that had forgotten this gateway while its clients here were
    /// watching sent them nothing for a while, so they are sent the current state again.
    /// </summary>
    private async Task SubscribeUserFeedAsync(string user, bool watchedAlready)
    {
        if (!await grains.GetGrain<IUserFeedGrain>(user).SubscribeAsync(Reference) && watchedAlready)
        {
            await CatchUpAsync(user);
        }
    }

    private async Task CatchUpAsync(string user)
    {
        LogCatchingUp(user);
        var isEveryone = user == IUserFeedGrain.AllUsers;
        foreach (var view in isEveryone ? await snapshot.ForAdminsAsync(CancellationToken.None) : await snapshot.ForUserAsync(user))
        {
            await JobUpdatedAsync(view);
        }

        if (!isEveryone)
        {
            foreach (var usage in await grains.GetGrain<IUserGrain>(user).GetQuotasAsync())
            {
                await QuotaUpdatedAsync(user, usage);
            }
        }
    }

    /// <summary>
    /// Renews every feed at once: one at a time, a few calls waiting out their timeout on a dead silo would make the
    /// round outlast the subscriptions' expiry.
    /// </summary>
    private Task RenewAsync(ConcurrentDictionary<string, int> watchers, Func<string, Task> subscribe, Func<string, Task> unsubscribe) =>
        Task.WhenAll(watchers.Select(watcher => RenewOneAsync(watchers, watcher.Key, watcher.Value, subscribe, unsubscribe)));

    private async Task RenewOneAsync(ConcurrentDictionary<string, int> watchers, string key, int count, Func<string, Task> subscribe, Func<string, Task> unsubscribe)
    {
        try
        {
            if (count > 0)
            {
                await subscribe(key);
            }
            else if (watchers.TryRemove(new KeyValuePair<string, int>(key, 0)))
            {
                await unsubscribe(key);
            }
        }
        catch (Exception error)
        {
            // The cluster is unreachable right now, or the call was cancelled as a silo died; the next tick tries again.
            LogRenewFailed(key, error.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The live feed of {Key} had forgotten this gateway (its silo died?); sending its clients their current state")]
    private partial void LogCatchingUp(string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew the live feed of {Key}: {Error}")]
    private partial void LogRenewFailed(string key, string error);
}
