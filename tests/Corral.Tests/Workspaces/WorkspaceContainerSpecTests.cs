using System.Collections.Immutable;
using Corral.Hosting;
using Corral.HostAgent.Containers;
using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Workspaces;

/// <summary>The job's container gets its working directory at /work, works there, and has /tmp in memory.</summary>
public sealed class WorkspaceContainerSpecTests
{
    private const string Id = "00112233445566778899aabbccddeeff";

    [Theory]
    [InlineData(JobKind.Batch)]
    [InlineData(JobKind.Ssh)]
    public void TheWorkingDirectory_IsMountedAtWork_AndIsTheContainersWorkingDirectory(JobKind kind)
    {
        var entry = new JobEntry($"/out/{Id}.out", "/opt/corral-run", [], $"/var/lib/corral/job-output/w1/work/{Id}");

        var parameters = ContainerSpecBuilder.Build(Launch(kind), entry);

        Assert.Equal("/work", parameters.WorkingDir);
        var mount = Assert.Single(parameters.HostConfig.Mounts, m => m.Target == "/work");
        Assert.Equal(("bind", $"/var/lib/corral/job-output/w1/work/{Id}", false), (mount.Type, mount.Source, mount.ReadOnly));
    }

    [Fact]
    public void Tmp_IsATmpfsSizedByTheMemoryCap()
    {
        var parameters = ContainerSpecBuilder.Build(Launch(JobKind.Batch), new JobEntry($"/out/{Id}.out", "/opt/corral-run", [], "/w"));

        Assert.Equal("rw,nosuid,nodev,mode=1777,size=67108864", parameters.HostConfig.Tmpfs["/tmp"]);
    }

    private static JobLaunch Launch(JobKind kind) => new(
        Id,
        "alice",
        new JobSpec("s", "corral/busybox:latest", ["true"], kind, ImmutableDictionary<string, string>.Empty, ResourceRequest.None, kind == JobKind.Ssh ? "ssh-ed25519 AAAA" : null),
        new EffectiveLimits(1, 64L << 20, 64, [], null, []),
        "w1");
}
