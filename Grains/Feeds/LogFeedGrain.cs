using Microsoft.Extensions.Logging;
using Orleans.Utilities;

namespace Corral.Feeds;

/// <inheritdoc cref="ILogFeedGrain"/>
public sealed class LogFeedGrain(ILogger<LogFeedGrain> logger) : Grain, ILogFeedGrain
{
    private readonly ObserverManager<IFeedObserver> _observers = new(FeedSubscriptions.Expiry, logger);

    public Task SubscribeAsync(IFeedObserver observer)
    {
        _observers.Subscribe(observer, observer);
        return Task.CompletedTask;
    }

    public Task UnsubscribeAsync(IFeedObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public Task<bool> HasWatchersAsync()
    {
        _observers.ClearExpired();
        return Task.FromResult(_observers.Count > 0);
    }

    public Task PublishAsync(LogChunk chunk) => _observers.Notify(o => o.LogAppendedAsync(chunk));
}
