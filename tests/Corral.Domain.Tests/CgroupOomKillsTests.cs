using Corral.Resources;
using Xunit;

namespace Corral.Domain.Tests;

/// <summary>The OOM kills in a container, read from the texts its memory cgroup's files hold.</summary>
public sealed class CgroupOomKillsTests
{
    [Theory]
    // memory.oom_control (cgroup v1) of a container whose dd was killed filling a tmpfs (read on this machine).
    [InlineData("oom_kill_disable 0\nunder_oom 0\noom_kill 1\n", 1)]
    // memory.events (cgroup v2, kernel 5.15) of a container that never reached its limit, and of one that did twice.
    [InlineData("low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n", 0)]
    [InlineData("low 0\nhigh 0\nmax 118\noom 2\noom_kill 2\noom_group_kill 0\n", 2)]
    public void Parse_TheOomKillLine_IsTheCount(string content, long kills) =>
        Assert.Equal(kills, CgroupOomKills.Parse(content));

    [Theory]
    // A kernel before 4.13 has no oom_kill line in v1; oom_group_kill is another figure.
    [InlineData("oom_kill_disable 0\nunder_oom 0\n")]
    [InlineData("oom_group_kill 3\n")]
    [InlineData("oom_kill x\n")]
    [InlineData("")]
    [InlineData(null)]
    public void Parse_WithoutAReadableOomKillLine_IsNoFigure(string? content) =>
        Assert.Null(CgroupOomKills.Parse(content));

    [Fact]
    public void Candidates_DefaultParent_FirstIsTheV1MemoryGroup_ThenV2()
    {
        var files = CgroupOomKills.Candidates("abc", null, "/r");
        Assert.Equal("/r/memory/docker/abc/memory.oom_control", files[0]);
        Assert.Equal("/r/docker/abc/memory.events", files[1]);
        Assert.Contains("/r/system.slice/docker-abc.scope/memory.events", files);
    }
}
