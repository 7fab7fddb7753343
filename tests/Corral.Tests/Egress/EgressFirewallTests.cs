using System.Net;
using Corral.HostAgent.Egress;
using Corral.Tests.EndToEnd;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Corral.Tests.Egress;

/// <summary>
/// The egress chains in this machine's real iptables and ip6tables. The jumps match MAC addresses that no interface
/// here has, so these rules touch no traffic. Each job here has a container that is never started, so that the host
/// agents of the systems running beside these tests take its chains for a live job's and leave them alone.
/// </summary>
[Collection(HostFirewallCollection.Name)]
public sealed class EgressFirewallTests : IAsyncLifetime
{
    private readonly List<string> _containers = [];

    private static readonly IPNetwork[] Excluded = [IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("fc00::/7")];

    private readonly EgressFirewall _firewall = new(new IptablesCli(), new HostLock(), NullLogger<EgressFirewall>.Instance);

    public static TheoryData<IpFamily> Families => [IpFamily.V4, IpFamily.V6];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var container in _containers)
        {
            await TestEnvironment.DockerAsync("rm", "-f", container);
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Attach_CreatesTheChainsOneJumpAndOneHostRule_AndAgainKeepsThemAsTheyAre(IpFamily family)
    {
        var job = await NewJobAsync();
        try
        {
            await AttachAsync(family, job, quota: 1_000_000);
            await AttachAsync(family, job, quota: 5);

            var listing = await _firewall.ListAsync(family, CancellationToken.None);
            Assert.True(EgressFirewall.HookIsHealthy(listing));
            var jump = Assert.Single(listing[EgressChainName.Entry].Rules, r => r.Target == job.Chain);
            Assert.Contains($"MAC {job.Mac}", jump.Options, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("[goto]", jump.Options);
            Assert.Equal(EgressRules.JobCommentPrefix + job.Id, jump.Comment);
            var chain = listing[job.Chain];
            Assert.Equal(["corral-bridged", "corral-guard", "corral-excluded", "corral-counted", "corral-allowance:1000000", "corral-over-quota"], chain.Rules.Select(r => r.Comment));
            Assert.Equal(family == IpFamily.V6 ? "fc00::/7" : "10.0.0.0/8", chain.Rules[2].Destination);
            Assert.Equal(1, chain.References);
            var guard = listing[EgressChainName.GuardFor(job.Chain)];
            Assert.Equal(1, guard.References);
            Assert.Contains(guard.Rules, r => r.Comment == "corral-blocked" && r.Target == "REJECT");
            var toHost = Assert.Single(listing[EgressChainName.ToHost].Rules, r => r.Comment == EgressRules.ToHostCommentPrefix + job.Chain);
            Assert.Equal("REJECT", toHost.Target);
            Assert.Contains($"MAC {job.Mac}", toHost.Options, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(EgressChainName.ToHost, listing["INPUT"].Rules[0].Target);
        }
        finally
        {
            await _firewall.DetachAsync(family, job.Chain, CancellationToken.None);
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Rearm_ChangesTheAllowanceOnly_AndDetachRemovesJumpChainsAndHostRule(IpFamily family)
    {
        var job = await NewJobAsync();
        try
        {
            await AttachAsync(family, job, quota: 1_000_000);
            var before = EgressReading.From((await _firewall.ListAsync(family, CancellationToken.None))[job.Chain]);

            await _firewall.RearmAsync(family, job.Chain, before.AllowanceRuleNumber, 250_000, CancellationToken.None);

            var after = (await _firewall.ListAsync(family, CancellationToken.None))[job.Chain];
            Assert.Equal(["corral-bridged", "corral-guard", "corral-excluded", "corral-counted", "corral-allowance:250000", "corral-over-quota"], after.Rules.Select(r => r.Comment));
            Assert.Equal(250_000, EgressReading.From(after).AllowanceLeft);
            Assert.Contains("quota: 250000 bytes", after.Rules[4].Options);
        }
        finally
        {
            await _firewall.DetachAsync(family, job.Chain, CancellationToken.None);
        }

        var listing = await _firewall.ListAsync(family, CancellationToken.None);
        Assert.False(listing.ContainsKey(job.Chain));
        Assert.False(listing.ContainsKey(EgressChainName.GuardFor(job.Chain)));
        Assert.DoesNotContain(listing[EgressChainName.Entry].Rules, r => r.Target == job.Chain);
        Assert.DoesNotContain(listing[EgressChainName.ToHost].Rules, r => r.Comment == EgressRules.ToHostCommentPrefix + job.Chain);
    }

    [Fact]
    public async Task Prepare_RemovesTheChainsOfItsGoneJobs_InBothFamilies_AndKeepsLiveOnes_AndAnotherAgentsStartingOnes()
    {
        var gone = await NewJobAsync(live: false);
        var live = await NewJobAsync();
        // Another agent's job whose container is being created: its chains are in place, its container not yet.
        var starting = await NewJobAsync(live: false) with { Mac = "06:00:00:00:00:01" };
        try
        {
            foreach (var family in IpFamilies.All)
            {
                await AttachAsync(family, gone, quota: 0);
                await AttachAsync(family, live, quota: 0);
                await AttachAsync(family, starting, quota: 0);
            }

            // Live: every job container on the engine, as an agent sees them (other tests' jobs run meanwhile).
            var removed = await _firewall.PrepareAsync(
                async _ => (await TestEnvironment.DockerAsync("ps", "-a", "--format", "{{.Label \"corral.job-id\"}}"))
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries),
                MacFor,
                CancellationToken.None);

            Assert.Equal(
                [(IpFamily.V4, gone.Chain), (IpFamily.V6, gone.Chain)],
                removed.Where(r => r.Chain == gone.Chain || r.Chain == live.Chain || r.Chain == starting.Chain));
            foreach (var family in IpFamilies.All)
            {
                var listing = await _firewall.ListAsync(family, CancellationToken.None);
                Assert.False(listing.ContainsKey(gone.Chain));
                Assert.DoesNotContain(listing[EgressChainName.Entry].Rules, r => r.Target == gone.Chain);
                Assert.True(listing.ContainsKey(live.Chain));
                Assert.True(listing.ContainsKey(starting.Chain));
                Assert.Single(listing[EgressChainName.Entry].Rules, r => r.Target == starting.Chain);
                Assert.True(EgressFirewall.HookIsHealthy(listing));
            }
        }
        finally
        {
            foreach (var family in IpFamilies.All)
            {
                await _firewall.DetachAsync(family, gone.Chain, CancellationToken.None);
                await _firewall.DetachAsync(family, live.Chain, CancellationToken.None);
                await _firewall.DetachAsync(family, starting.Chain, CancellationToken.None);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task AHookNoLongerFirst_IsPutBackOnTop_WithoutAMomentUnhooked(IpFamily family)
    {
        // A rule above the hook, as dockerd leaves its own after a restart; this one matches no packet.
        var hookChain = EgressFirewall.HookChain(await _firewall.ListAsync(family, CancellationToken.None));
        string[] shadow = [hookChain, "-m", "mac", "--mac-source", "0a:ff:ff:ff:ff:ff", "-m", "comment", "--comment", "corral-test-shadow", "-j", "RETURN"];
        var iptables = new IptablesCli();
        await iptables.RunAsync(family, ["-I", .. shadow[..1], "1", .. shadow[1..]], CancellationToken.None);
        try
        {
            var shadowed = await _firewall.ListAsync(family, CancellationToken.None);
            // The agents of the running systems may repair it first; either way it ends up on top again.
            await _firewall.EnsureHookAsync(family, shadowed, CancellationToken.None);

            var listing = await _firewall.ListAsync(family, CancellationToken.None);
            Assert.True(EgressFirewall.HookIsHealthy(listing));
            Assert.Equal(EgressChainName.Entry, listing[hookChain].Rules[0].Target);
            Assert.Equal(1, listing[EgressChainName.Entry].References);
        }
        finally
        {
            await iptables.RunAsync(family, ["-D", .. shadow], CancellationToken.None);
        }
    }

    /// <summary>A job id, its chain, and a MAC address that no interface has (not even a job's: 0a, not 06).</summary>
    private async Task<(string Id, string Chain, string Mac)> NewJobAsync(bool live = true)
    {
        var id = Guid.NewGuid().ToString("N");
        if (live)
        {
            _containers.Add(await TestEnvironment.DockerAsync(
                "create", "--label", $"corral.job-id={id}", "--network", "none", "corral/busybox:latest", "true"));
        }

        return (id, EgressChainName.ForJob(id), MacFor(id));
    }

    /// <summary>The MAC address "this agent" gives a job here: one no interface has, and none a real agent derives.</summary>
    private static string MacFor(string jobId) =>
        "0a:" + string.Join(':', Enumerable.Range(0, 5).Select(i => jobId.Substring(i * 2, 2)));

    private Task AttachAsync(IpFamily family, (string Id, string Chain, string Mac) job, long quota) =>
        _firewall.AttachAsync(
            family,
            job.Chain,
            job.Mac,
            job.Id,
            EgressRules.JobChain(family, EgressChainName.GuardFor(job.Chain), Excluded, quota, quota),
            EgressRules.GuardChain(family, new JobNetworkPolicy(Excluded, [], [])),
            CancellationToken.None);
}

/// <summary>Tests on the host's real filter tables run alone, after the parallel collections (see EgressCollection).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostFirewallCollection
{
    public const string Name = "host firewall";
}
