using System.Net;
using Corral.HostAgent;
using Corral.HostAgent.Containers;
using Corral.HostAgent.Egress;
using Xunit;

namespace Corral.Tests.Egress;

public sealed class EgressRulesTests
{
    private static readonly IPNetwork[] DefaultExcluded =
        [.. HostAgentSettings.DefaultExcludedCidrs.Split(',').Select(c => IPNetwork.Parse(c))];

    [Theory]
    [InlineData("0199a3b2c4d5e6f7a8b9c0d1e2f3a4b5", "CORRAL-0199a3b2c4d5e6f7a8b9")]
    [InlineData("0199A3B2C4D5E6F7A8B9C0D1E2F3A4B5", "CORRAL-0199a3b2c4d5e6f7a8b9")]
    public void JobChainName_IsTheFirst20HexDigitsOfTheId(string jobId, string chain)
    {
        Assert.Equal(chain, EgressChainName.ForJob(jobId));
        Assert.True(EgressChainName.IsJobChain(chain));
    }

    [Theory]
    [InlineData("job-with-dashes")]
    [InlineData("abc")]
    [InlineData("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")]
    public void JobChainName_OfAnyOtherId_IsStableValidAndAtMost28Characters(string jobId)
    {
        var chain = EgressChainName.ForJob(jobId);
        Assert.Equal(chain, EgressChainName.ForJob(jobId));
        Assert.True(EgressChainName.IsJobChain(chain), chain);
        Assert.True(chain.Length <= 28);
    }

    [Theory]
    [InlineData("CORRAL-EGRESS")]
    [InlineData("DOCKER-USER")]
    [InlineData("CORRAL-0199a3b2c4d5e6f7a8b")]
    [InlineData("CORRAL-0199A3B2C4D5E6F7A8B9")]
    public void OtherChains_AreNotJobChains(string name)
    {
        Assert.False(EgressChainName.IsJobChain(name));
    }

    [Fact]
    public void JobChain_WithAQuota_DropsBridgedTraffic_GuardsNewConnections_ExcludesItsFamilysRanges_CountsThenCapsThenDrops()
    {
        var v4 = EgressRules.JobChain(IpFamily.V4, "CORRAL-xG", DefaultExcluded, quota: 1_000_000, allowance: 1_000_000).Select(r => string.Join(' ', r));
        Assert.Equal(
        [
            "-m physdev --physdev-is-bridged -m comment --comment corral-bridged -j DROP",
            "-m conntrack ! --ctstate ESTABLISHED,RELATED -m comment --comment corral-guard -j CORRAL-xG",
            "-d 10.0.0.0/8 -m comment --comment corral-excluded -j RETURN",
            "-d 172.16.0.0/12 -m comment --comment corral-excluded -j RETURN",
            "-d 192.168.0.0/16 -m comment --comment corral-excluded -j RETURN",
            "-d 169.254.0.0/16 -m comment --comment corral-excluded -j RETURN",
            "-m comment --comment corral-counted",
            "-m quota --quota 1000000 -m comment --comment corral-allowance:1000000 -j RETURN",
            "-m comment --comment corral-over-quota -j DROP",
        ], v4);

        var v6 = EgressRules.JobChain(IpFamily.V6, "CORRAL-xG", DefaultExcluded, quota: 1_000_000, allowance: 250_000).Select(r => string.Join(' ', r));
        Assert.Equal(
        [
            "-m physdev --physdev-is-bridged -m comment --comment corral-bridged -j DROP",
            "-m conntrack ! --ctstate ESTABLISHED,RELATED -m comment --comment corral-guard -j CORRAL-xG",
            "-d fc00::/7 -m comment --comment corral-excluded -j RETURN",
            "-d fe80::/10 -m comment --comment corral-excluded -j RETURN",
            "-m comment --comment corral-counted",
            "-m quota --quota 250000 -m comment --comment corral-allowance:250000 -j RETURN",
            "-m comment --comment corral-over-quota -j DROP",
        ], v6);
    }

    [Fact]
    public void JobChain_WithoutAQuota_OnlyCounts()
    {
        var rules = EgressRules.JobChain(IpFamily.V4, "CORRAL-xG", [IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("fc00::/7")], quota: 0, allowance: 0);
        Assert.Equal(
            ["-m physdev --physdev-is-bridged -m comment --comment corral-bridged -j DROP", "-m conntrack ! --ctstate ESTABLISHED,RELATED -m comment --comment corral-guard -j CORRAL-xG", "-d 10.0.0.0/8 -m comment --comment corral-excluded -j RETURN", "-m comment --comment corral-counted"],
            rules.Select(r => string.Join(' ', r)));
    }

    [Fact]
    public void GuardChain_LetsDnsOnlyToTheResolvers_ThenAllowedRanges_ThenRejectsBlockedRangesAndMetadata()
    {
        var policy = new JobNetworkPolicy(
            [IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("fc00::/7")],
            [IPNetwork.Parse("10.1.2.0/24"), IPNetwork.Parse("fd00:1::/64")],
            [IPAddress.Parse("10.255.255.53"), IPAddress.Parse("2001:db8::53")]);

        Assert.Equal(
        [
            "-d 10.255.255.53 -p udp --dport 53 -m comment --comment corral-dns -j RETURN",
            "-d 10.255.255.53 -p tcp --dport 53 -m comment --comment corral-dns -j RETURN",
            "-p udp --dport 53 -m comment --comment corral-blocked-dns -j REJECT",
            "-p tcp --dport 53 -m comment --comment corral-blocked-dns -j REJECT",
            "-d 10.1.2.0/24 -m comment --comment corral-allowed -j RETURN",
            "-d 10.0.0.0/8 -m comment --comment corral-blocked -j REJECT",
            "-d 169.254.0.0/16 -m comment --comment corral-blocked -j REJECT",
        ], EgressRules.GuardChain(IpFamily.V4, policy).Select(r => string.Join(' ', r)));
        Assert.Equal(
        [
            "-d 2001:db8::53 -p udp --dport 53 -m comment --comment corral-dns -j RETURN",
            "-d 2001:db8::53 -p tcp --dport 53 -m comment --comment corral-dns -j RETURN",
            "-p udp --dport 53 -m comment --comment corral-blocked-dns -j REJECT",
            "-p tcp --dport 53 -m comment --comment corral-blocked-dns -j REJECT",
            "-d fd00:1::/64 -m comment --comment corral-allowed -j RETURN",
            "-d fc00::/7 -m comment --comment corral-blocked -j REJECT",
            "-d fd00:ec2::254/128 -m comment --comment corral-blocked -j REJECT",
        ], EgressRules.GuardChain(IpFamily.V6, policy).Select(r => string.Join(' ', r)));
    }

    [Fact]
    public void ToHost_RejectsNewConnectionsFromTheJobsMac_AndLetsIcmpv6Through()
    {
        Assert.Equal(
            "-m mac --mac-source 06:aa:bb:cc:dd:ee -m conntrack ! --ctstate ESTABLISHED,RELATED -m comment --comment corral-to-host:CORRAL-x -j REJECT",
            string.Join(' ', EgressRules.ToHost(IpFamily.V4, "CORRAL-x", "06:aa:bb:cc:dd:ee")));
        Assert.Equal(
            "-m mac --mac-source 06:aa:bb:cc:dd:ee ! -p ipv6-icmp -m conntrack ! --ctstate ESTABLISHED,RELATED -m comment --comment corral-to-host:CORRAL-x -j REJECT",
            string.Join(' ', EgressRules.ToHost(IpFamily.V6, "CORRAL-x", "06:aa:bb:cc:dd:ee")));
    }

    [Theory]
    [InlineData("nameserver 10.255.255.53\nsearch example\n", "10.255.255.53")]
    [InlineData("# comment\nnameserver 127.0.0.53\nnameserver\t2001:db8::1\nnameserver fe80::1%eth0\noptions edns0\n", "127.0.0.53,2001:db8::1")]
    [InlineData("search example\n", "")]
    public void DockerResolvers_ReadTheNameserverLines(string resolvConf, string expected)
    {
        Assert.Equal(expected, string.Join(',', DockerResolvers.Parse(resolvConf).Select(a => a.ToString())));
    }

    [Fact]
    public void Jump_MatchesTheContainersMacOnly_AndGoesToTheJobsChain()
    {
        Assert.Equal(
            "-m mac --mac-source 06:aa:bb:cc:dd:ee -m comment --comment corral-job:abc -g CORRAL-x",
            string.Join(' ', EgressRules.Jump("CORRAL-x", "06:aa:bb:cc:dd:ee", "abc")));
    }

    [Fact]
    public void JobMac_IsStable_LocallyAdministeredUnicast_AndNotDockers()
    {
        var mac = JobMacAddress.For("0199a3b2c4d5e6f7a8b9c0d1e2f3a4b5");
        Assert.Equal(mac, JobMacAddress.For("0199a3b2c4d5e6f7a8b9c0d1e2f3a4b5"));
        Assert.NotEqual(mac, JobMacAddress.For("0199a3b2c4d5e6f7a8b9c0d1e2f3a4b6"));
        Assert.Matches("^06(:[0-9a-f]{2}){5}$", mac);
        Assert.DoesNotMatch("^02:42:", mac);
    }

    [Fact]
    public void Allowance_IsNeverNegative()
    {
        Assert.Equal("-m quota --quota 0 -m comment --comment corral-allowance:0 -j RETURN", string.Join(' ', EgressRules.Allowance(-5)));
    }
}
