using System.Collections.Immutable;
using Corral.Hosting;
using Corral.HostAgent.Jobs;
using Corral.Jobs;
using Corral.Workers;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>
/// Issue 19, item 9: a job may ask for up to 4,194,304 pids. Whatever the cluster hands a host, the host never
/// starts a container with a pids limit above its share for jobs, which keeps room for the agent, engine and iptables.
/// </summary>
public sealed class PidsSecurityTests
{
    private const string Id = "0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData(JobKind.Batch)]
    [InlineData(JobKind.Ssh)]
    public void ALaunchAboveTheHostsShare_IsClampedToIt_NamingBoth(JobKind kind)
    {
        var launch = Launch(kind, 4_194_304);

        var guarded = LaunchGuard.Check(launch, SshCaps.Uncapped, [], hostPids: 29_492);

        Assert.Null(guarded.Refusal);
        Assert.Equal(29_492, guarded.Launch.Limits.Pids);
        Assert.Equal(["pids: asks 4194304, worker allows at most 29492"], guarded.Clamped.ToArray());
    }

    [Fact]
    public void ALaunchWithinTheShare_IsLeftAlone()
    {
        var guarded = LaunchGuard.Check(Launch(JobKind.Batch, 64), SshCaps.Uncapped, [], hostPids: 29_492);
        Assert.Equal((64, 0), (guarded.Launch.Limits.Pids, guarded.Clamped.Length));
    }

    private static JobLaunch Launch(JobKind kind, int pids) => new(
        Id, "alice",
        new JobSpec("s", "corral/busybox:latest", ["true"], kind, ImmutableDictionary<string, string>.Empty, ResourceRequest.None,
            kind == JobKind.Ssh ? "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk" : null),
        new EffectiveLimits(1, 1L << 30, pids, [], null, []), "w1");
}
