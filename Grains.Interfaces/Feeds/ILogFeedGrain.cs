using Orleans.Concurrency;

namespace Corral.Feeds;

/// <summary>Live output of one job (key: job id), for the gateways whose clients watch it.</summary>
public interface ILogFeedGrain : IGrainWithStringKey
{
    Task SubscribeAsync(IFeedObserver observer);

    Task UnsubscribeAsync(IFeedObserver observer);

    /// <summary>Whether any gateway watches: the host agent publishes output only then.</summary>
    Task<bool> HasWatchersAsync();

    [OneWay]
    Task PublishAsync(LogChunk chunk);
}
