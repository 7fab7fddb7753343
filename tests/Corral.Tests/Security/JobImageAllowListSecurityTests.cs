using Corral.Configuration;
using Corral.HostAgent;
using Corral.Images;
using Corral.Tests.EndToEnd;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>The JOB_IMAGES parser and its name rule (no tag means ":latest", as placement reads names).</summary>
public sealed class JobImageAllowListSecurityTests
{
    [Theory]
    [InlineData("corral/busybox:latest", true)]
    [InlineData("corral/busybox", true)]
    [InlineData("corral/ssh", true)]
    [InlineData("corral/ssh:latest", true)]
    [InlineData("corral/busybox:1.36", false)]
    [InlineData("busybox:latest", false)]
    [InlineData("busybox", false)]
    [InlineData("corral/busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    [InlineData("corral/busybox-2:latest", false)]
    public void Default_AllowsThePlatformsImagesOnly(string image, bool allowed)
    {
        var list = JobImageAllowList.Read(new SettingsReader(new Dictionary<string, string>()));
        Assert.Equal(allowed, list.Allows(image));
        Assert.Equal(["corral/busybox:latest", "corral/ssh:latest"], list.Images);
    }

    [Fact]
    public void Entries_AreTrimmed_AndComparedTagged()
    {
        var list = JobImageAllowList.Parse(" team/tool , team/cuda:12.4 ,,");
        Assert.True(list.Allows("team/tool:latest"));
        Assert.True(list.Allows("team/tool"));
        Assert.True(list.Allows("team/cuda:12.4"));
        Assert.False(list.Allows("team/cuda"));
        Assert.False(list.Allows("team/tool:v2"));
        Assert.False(list.Allows("corral/busybox:latest"));
    }

    [Fact]
    public void EmptyValue_IsUnset_SoTheDefault()
    {
        var list = JobImageAllowList.Read(new SettingsReader(new Dictionary<string, string> { ["JOB_IMAGES"] = "" }));
        Assert.Equal(["corral/busybox:latest", "corral/ssh:latest"], list.Images);
    }

    [Theory]
    [InlineData(" , ")]
    [InlineData("Corral/Busybox:latest")]
    [InlineData("corral/busybox:latest,bad image")]
    [InlineData("corral/busybox:latest;corral/ssh:latest")]
    [InlineData("corral/busybox:")]
    public void BadValue_NamesTheVariable(string raw)
    {
        var error = Assert.Throws<InvalidSettingException>(
            () => JobImageAllowList.Read(new SettingsReader(new Dictionary<string, string> { ["JOB_IMAGES"] = raw })));
        Assert.Equal("JOB_IMAGES", error.Variable);
    }

    [Fact]
    public void TheHostAgent_ReadsItsOwnList_DefaultThePlatformsImages()
    {
        var defaults = HostAgentSettings.Read(new SettingsReader(new Dictionary<string, string>()));
        Assert.Equal(["corral/busybox:latest", "corral/ssh:latest"], defaults.JobImages.Images);
        Assert.False(defaults.JobImages.Allows("busybox:latest"));

        var listed = HostAgentSettings.Read(new SettingsReader(new Dictionary<string, string> { ["JOB_IMAGES"] = "team/tool" }));
        Assert.True(listed.JobImages.Allows("team/tool:latest"));
        Assert.False(listed.JobImages.Allows("corral/busybox:latest"));
    }

    [Fact]
    public void ABadValue_StopsTheHostAgent_NamingTheVariable()
    {
        var error = Assert.Throws<InvalidSettingException>(
            () => HostAgentSettings.Read(new SettingsReader(new Dictionary<string, string> { ["JOB_IMAGES"] = "Bad Image" })));
        Assert.Equal("JOB_IMAGES", error.Variable);
    }

    [Fact]
    public async Task BadValue_StopsTheGateway_NamingTheVariable()
    {
        using var process = new ManagedProcess("Gateway", TestEnvironment.ProcessPath("Gateway", "Corral.Gateway"), new Dictionary<string, string>
        {
            ["CORRAL_POSTGRES"] = TestEnvironment.AdminConnectionString,
            ["CORRAL_CLUSTER_ID"] = "image-list-" + Guid.NewGuid().ToString("N")[..8],
            ["CORRAL_URL"] = $"http://127.0.0.1:{TestEnvironment.FreePort()}",
            ["JOB_IMAGES"] = "corral/busybox:latest,Not An Image",
        });
        process.Start();
        Assert.NotEqual(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("JOB_IMAGES", process.Output, StringComparison.Ordinal);
    }
}
