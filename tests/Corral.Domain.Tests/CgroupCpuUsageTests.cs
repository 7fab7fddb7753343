using Corral.Resources;
using Xunit;

namespace Corral.Domain.Tests;

/// <summary>The CPU time of a container, read from the texts its cgroup's accounting files hold.</summary>
public sealed class CgroupCpuUsageTests
{
    [Theory]
    // cpuacct.usage of a container that spun a shell loop for a third of a second (read on this machine).
    [InlineData("367444561\n", 0.367444)]
    [InlineData("0\n", 0)]
    [InlineData("12000000000", 12)]
    public void ParseCpuacctUsage_Nanoseconds_IsTheCpuTime(string content, double seconds) =>
        Assert.Equal(seconds, CgroupCpuUsage.ParseCpuacctUsage(content)!.Value.TotalSeconds, 5);

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("-5\n")]
    [InlineData("12 34\n")]
    [InlineData(null)]
    public void ParseCpuacctUsage_NotANumber_IsNoFigure(string? content) =>
        Assert.Null(CgroupCpuUsage.ParseCpuacctUsage(content));

    [Theory]
    // cpu.stat of a cgroup v2 scope (kernel 5.15), with and without the cpu controller's throttling lines.
    [InlineData("usage_usec 4021187\nuser_usec 3950112\nsystem_usec 71075\nnr_periods 41\nnr_throttled 38\nthrottled_usec 1893211\n", 4.021187)]
    [InlineData("usage_usec 80\nuser_usec 40\nsystem_usec 40\n", 0.00008)]
    [InlineData("user_usec 1\nusage_usec 2500000\n", 2.5)]
    public void ParseCpuStat_UsageUsec_IsTheCpuTime(string content, double seconds) =>
        Assert.Equal(seconds, CgroupCpuUsage.ParseCpuStat(content)!.Value.TotalSeconds, 6);

    [Theory]
    [InlineData("")]
    [InlineData("user_usec 10\nsystem_usec 3\n")]
    [InlineData("usage_usec\n")]
    [InlineData("usage_usec x\n")]
    public void ParseCpuStat_WithoutAUsageLine_IsNoFigure(string content) =>
        Assert.Null(CgroupCpuUsage.ParseCpuStat(content));

    [Fact]
    public void Candidates_DefaultCgroupfsParent_FirstIsTheV1DockerGroup()
    {
        var files = CgroupCpuFiles.Candidates("abc", null, "/r");
        Assert.Equal("/r/cpuacct/docker/abc/cpuacct.usage", files[0]);
        Assert.Contains("/r/docker/abc/cpu.stat", files);
        Assert.Contains("/r/unified/docker/abc/cpu.stat", files);
        Assert.Contains("/r/system.slice/docker-abc.scope/cpu.stat", files);
    }

    [Fact]
    public void Candidates_CgroupfsParent_IsUsedInsteadOfDocker()
    {
        var files = CgroupCpuFiles.Candidates("abc", "/corral-jobs/", "/r");
        Assert.Equal("/r/cpuacct/corral-jobs/abc/cpuacct.usage", files[0]);
        Assert.DoesNotContain(files, f => f.Contains("/docker/", StringComparison.Ordinal) || f.Contains(".scope", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("system.slice", "/system.slice")]
    [InlineData("corral-jobs.slice", "/corral.slice/corral-jobs.slice")]
    [InlineData("a-b-c.slice", "/a.slice/a-b.slice/a-b-c.slice")]
    public void SlicePath_EachDashIsALevel(string slice, string path) =>
        Assert.Equal(path, CgroupPaths.SlicePath(slice));

    [Fact]
    public void Candidates_SystemdSlice_IsTheScopeUnderTheSlicePath()
    {
        var files = CgroupCpuFiles.Candidates("abc", "corral-jobs.slice", "/r");
        Assert.Equal("/r/cpuacct/corral.slice/corral-jobs.slice/docker-abc.scope/cpuacct.usage", files[0]);
        Assert.Contains("/r/corral.slice/corral-jobs.slice/docker-abc.scope/cpu.stat", files);
    }
}
