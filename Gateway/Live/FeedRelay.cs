using System.Collections.Concurrent;
using Corral.Feeds;
using Corral.Jobs;
using Corral.Quotas;
using Microsoft.AspNetCore.SignalR;

namespace Corral.Gateway.Live;

/// <summary>
/// This gateway's one observer of the cluster's feeds. It subscribes to the feeds its own connections need,
/// renews those subscriptions on a timer (they expire in the grains, so a dead gateway is forgotten), and
/// forwards each event to the SignalR group that wants it. Feeds nobody here wants any more are dropped.
/// Job and quota events go through a <see cref="LiveOutbox"/>, so the feed grains never wait for this gateway's
/// sockets; log chunks are sent as they come (each is new text, nothing to merge).
/// </summary>
public sealed partial class FeedRelay(IGrainFactory grains, IHubContext<JobsHub> hub, ILogger<FeedRelay> logger)
    : IFeedObserver, IHostedService, IDisposable
{
    private static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(20);

    private readonly ConcurrentDictionary<string, int> _userWatchers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _logWatchers = new(StringComparer.Ordinal);
    private readonly JobEventOrder _order = new();
    private IFeedObserver? _reference;
    // Made with the relay: observer calls arrive concurrently, and two outboxes would be two loops out of order.
    private readonly LiveOutbox _outbox = new(e => SendAsync(hub, e), TimeProvider.System, logger);
    private PeriodicTimer? _timer;

    private IFeedObserver Reference => _reference ??= grains.CreateObjectReference<IFeedObserver>(this);

    public Task JobUpdatedAsync(JobView job)
    {
        if (!_order.IsStale(job))
        {
            _outbox.Post(new JobViewEvent(job));
        }

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
    public Task WatchUserAsync(string user) => WatchAsync(_userWatchers, user, () => grains.GetGrain<IUserFeedGrain>(user).SubscribeAsync(Reference));

    public void UnwatchUser(string user) => Release(_userWatchers, user);

    public Task WatchLogsAsync(string jobId) => WatchAsync(_logWatchers, jobId, () => grains.GetGrain<ILogFeedGrain>(jobId).SubscribeAsync(Reference));

    public void UnwatchLogs(string jobId) => Release(_logWatchers, jobId);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = new PeriodicTimer(RenewEvery);
        _ = RenewLoopAsync(_timer);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _timer?.Dispose();
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

    private async Task RenewLoopAsync(PeriodicTimer timer)
    {
        while (await timer.WaitForNextTickAsync())
        {
            await RenewAsync(_userWatchers, key => grains.GetGrain<IUserFeedGrain>(key).SubscribeAsync(Reference), key => grains.GetGrain<IUserFeedGrain>(key).UnsubscribeAsync(Reference));
            await RenewAsync(_logWatchers, key => grains.GetGrain<ILogFeedGrain>(key).SubscribeAsync(Reference), key => grains.GetGrain<ILogFeedGrain>(key).UnsubscribeAsync(Reference));
        }
    }

    private async Task RenewAsync(ConcurrentDictionary<string, int> watchers, Func<string, Task> subscribe, Func<string, Task> unsubscribe)
    {
        foreach (var (key, count) in watchers)
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
            catch (Exception error) when (error is not OperationCanceledException)
            {
                // The cluster is unreachable right now; the next tick tries again.
                LogRenewFailed(key, error.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew the live feed of {Key}: {Error}")]
    private partial void LogRenewFailed(string key, string error);
}
