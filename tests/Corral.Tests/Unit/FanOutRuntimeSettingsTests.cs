using Corral.Gateway.Live;
using Xunit;

namespace Corral.Tests.Unit;

public sealed class FanOutRuntimeSettingsTests
{
    [Theory]
    [InlineData(1, 4096)]
    [InlineData(2, 2048)]
    [InlineData(16, 256)]
    public void AllCoresTogether_KeepABufferForEachOf4096Connections(int cores, int perCore)
    {
        Assert.Equal(perCore, FanOutRuntimeSettings.ArraysPerCore(cores));
        Assert.True(FanOutRuntimeSettings.ArraysPerCore(cores) * cores >= FanOutRuntimeSettings.Buffers);
    }

    [Fact]
    public void ManyCores_KeepAtLeastTheRuntimeDefault()
    {
        Assert.Equal(32, FanOutRuntimeSettings.ArraysPerCore(256));
    }
}
