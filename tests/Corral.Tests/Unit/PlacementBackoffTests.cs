using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Unit;

/// <summary>A job whose worker could not be reached waits longer with each miss before it is placed again, at most 10 s.</summary>
public sealed class PlacementBackoffTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 8)]
    [InlineData(5, 10)]
    [InlineData(1000, 10)]
    public void TheWait_DoublesFromOneSecond_UpToTen(int misses, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), PlacementBackoff.After(misses));
}
