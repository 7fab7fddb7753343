using Corral.Jobs;
using Corral.Quotas;
using Orleans.Concurrency;

namespace Corral.Feeds;

/// <summary>A gateway's single receiver of live events; it forwards them to its own SignalR connections.</summary>
public interface IFeedObserver : IGrainObserver
{
    [OneWay]
    Task JobUpdatedAsync(JobView job);

    [OneWay]
    Task QuotaUpdatedAsync(string user, QuotaUsage usage);

    [OneWay]
    Task LogAppendedAsync(LogChunk chunk);
}
