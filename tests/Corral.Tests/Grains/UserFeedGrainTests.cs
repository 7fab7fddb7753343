using Corral.Feeds;
using Corral.Jobs;
using Corral.Quotas;
using Orleans.Core.Internal;
using Xunit;

namespace Corral.Tests.Grains;

[Collection(InMemoryClusterCollection.Name)]
public sealed class UserFeedGrainTests(InMemoryClusterFixture fixture)
{
    [Fact]
    public async Task Subscribe_SaysWhetherTheFeedStillKnewTheGateway_AndAFeedThatCameBackDidNot()
    {
        var feed = fixture.Grains.GetGrain<IUserFeedGrain>("feed-" + Guid.NewGuid().ToString("N")[..8]);
        var gateway = fixture.Grains.CreateObjectReference<IFeedObserver>(new SilentObserver());
        try
        {
            Assert.False(await feed.SubscribeAsync(gateway));
            Assert.True(await feed.SubscribeAsync(gateway));

            // As when the feed's silo dies: the grain comes back with no subscribers, and the gateway must learn it.
            await feed.Cast<IGrainManagementExtension>().DeactivateOnIdle();
            Assert.False(await feed.SubscribeAsync(gateway));
            Assert.True(await feed.SubscribeAsync(gateway));
        }
        finally
        {
            fixture.Grains.DeleteObjectReference<IFeedObserver>(gateway);
        }
    }

    private sealed class SilentObserver : IFeedObserver
    {
        public Task JobUpdatedAsync(JobView job) => Task.CompletedTask;

        public Task QuotaUpdatedAsync(string user, QuotaUsage usage) => Task.CompletedTask;

        public Task LogAppendedAsync(LogChunk chunk) => Task.CompletedTask;
    }
}
