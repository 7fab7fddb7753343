using Corral.Jobs;
using Corral.Quotas;

namespace Corral.Feeds;

/// <summary>
/// Live job and quota events of one user (key: the user name), or of everyone (key <see cref="AllUsers"/>, for
/// admins). Subscriptions expire: a gateway re-subscribes on a timer, so a gateway that dies is forgotten.
/// </summary>
public interface IUserFeedGrain : IGrainWithStringKey
{
    const string AllUsers = "*";

    /// <summary>
    /// Subscribes the observer, or renews its subscription. False when it was not subscribed (its subscription
    /// expired, or this grain came back on another silo and forgot it): it may have missed events.
    /// </summary>
    Task<bool> SubscribeAsync(IFeedObserver observer);

    Task UnsubscribeAsync(IFeedObserver observer);

    /// <summary>Awaited by publishers, so one job's events reach the feed in the order they happened.</summary>
    Task PublishJobAsync(JobView job);

    /// <summary>
    /// Sends the user's quota figures to whoever watches; answers whether anyone does (as <see cref="HasWatchersAsync"/>),
    /// so a quota grain that goes on to tell waiting jobs their places need not ask again.
    /// </summary>
    Task<bool> PublishQuotaAsync(string user, QuotaUsage usage);

    /// <summary>
    /// Whether any gateway watches this user's events (or everyone's): lets a publisher skip events nobody would
    /// receive when producing them costs more than asking.
    /// </summary>
    Task<bool> HasWatchersAsync();
}
