using Corral.Jobs;
using Corral.Quotas;
using Microsoft.Extensions.Logging;
using Orleans.Utilities;

namespace Corral.Feeds;

/// <inheritdoc cref="IUserFeedGrain"/>
/// <remarks>Not reentrant on purpose: events go out in the order they came in.</remarks>
public sealed class UserFeedGrain(ILogger<UserFeedGrain> logger) : Grain, IUserFeedGrain
{
    private readonly ObserverManager<IFeedObserver> _observers = new(FeedSubscriptions.Expiry, logger);

    private bool IsAllUsers => this.GetPrimaryKeyString() == IUserFeedGrain.AllUsers;

    public Task<bool> SubscribeAsync(IFeedObserver observer)
    {
        _observers.ClearExpired();
        var renewed = _observers.Observers.ContainsKey(observer);
        _observers.Subscribe(observer, observer);
        return Task.FromResult(renewed);
    }

    public Task UnsubscribeAsync(IFeedObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    // Kept: making a reference reads the interface's attributes, and every job event passes here.
    private IUserFeedGrain AllUsers => _allUsers ??= GrainFactory.GetGrain<IUserFeedGrain>(IUserFeedGrain.AllUsers);

    private IUserFeedGrain? _allUsers;

    public async Task PublishJobAsync(JobView job)
    {
        await _observers.Notify(o => o.JobUpdatedAsync(job));
        if (!IsAllUsers)
        {
            await AllUsers.PublishJobAsync(job);
        }
    }

    public async Task<bool> HasWatchersAsync() =>
        _observers.Count > 0 || (!IsAllUsers && await AllUsers.HasWatchersAsync());

    public async Task<bool> PublishQuotaAsync(string user, QuotaUsage usage)
    {
        await _observers.Notify(o => o.QuotaUpdatedAsync(user, usage));
        var adminsWatch = !IsAllUsers && await AllUsers.PublishQuotaAsync(user, usage);
        return _observers.Count > 0 || adminsWatch;
    }
}
