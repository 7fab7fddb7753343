using Corral.Gateway.Live;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Corral.Tests.Unit;

/// <summary>The gateway's renewals of its live feed subscriptions, on a clock that moves only when a test moves it.</summary>
public sealed class FeedRenewalTests
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("cancelled")]
    [InlineData("timed out")]
    public async Task ARoundThatFails_DoesNotEndTheRenewals(string failure)
    {
        var clock = new FakeTimeProvider();
        var rounds = 0;
        using var renewal = new FeedRenewal(
            () =>
            {
                // The first round fails the way a grain call does while a silo dies.
                if (Interlocked.Increment(ref rounds) == 1)
                {
                    throw failure == "cancelled" ? new OperationCanceledException("a grain call was cancelled") : new TimeoutException("no answer");
                }

                return Task.CompletedTask;
            },
            Every,
            clock,
            NullLogger.Instance);

        for (var tick = 1; tick <= 3; tick++)
        {
            clock.Advance(Every);
            await EventuallyAsync(() => Volatile.Read(ref rounds) == tick, $"round {tick} ran ({Volatile.Read(ref rounds)} rounds)");
        }

        Assert.False(renewal.Finished.IsCompleted);
    }

    [Fact]
    public async Task Disposed_TheRenewalsEnd()
    {
        var clock = new FakeTimeProvider();
        var rounds = 0;
        var renewal = new FeedRenewal(() => Task.FromResult(Interlocked.Increment(ref rounds)), Every, clock, NullLogger.Instance);

        renewal.Dispose();
        await renewal.Finished.WaitAsync(TimeSpan.FromSeconds(10));
        clock.Advance(Every * 3);
        await Task.Delay(200);

        Assert.Equal(0, Volatile.Read(ref rounds));
    }

    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "not so: " + what);
            await Task.Delay(10);
        }
    }
}
