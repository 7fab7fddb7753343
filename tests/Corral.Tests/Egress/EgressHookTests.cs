using Corral.HostAgent.Egress;
using Xunit;

namespace Corral.Tests.Egress;

/// <summary>Where the hook belongs, and when a listing shows it shadowed, doubled or gone.</summary>
public sealed class EgressHookTests
{
    private const string Header = "    pkts      bytes target     prot opt in     out     source               destination";

    /// <summary>A filter table whose INPUT hook is healthy unless <paramref name="input"/> says otherwise.</summary>
    private static IReadOnlyDictionary<string, IptablesChain> Table(string forward, string? dockerUser, int entryReferences, string? input = null) =>
        IptablesListingParser.ParseByName(
            $"Chain INPUT (policy ACCEPT 0 packets, 0 bytes)\n{Header}\n{input ?? Rule("CORRAL-TO-HOST")}\n"
            + $"Chain FORWARD (policy DROP 0 packets, 0 bytes)\n{Header}\n{forward}\n"
            + (dockerUser is null ? string.Empty : $"Chain DOCKER-USER (1 references)\n{Header}\n{dockerUser}\n")
            + $"Chain CORRAL-EGRESS ({entryReferences} references)\n{Header}\n"
            + $"Chain CORRAL-TO-HOST ({(input ?? Rule("CORRAL-TO-HOST")).Split("CORRAL-TO-HOST").Length - 1} references)\n{Header}\n");

    private static string Rule(string target, string matches = "*      *      ") =>
        $"       0        0 {target,-9}  0    --  {matches} 0.0.0.0/0            0.0.0.0/0";

    [Fact]
    public void Docker_WithDockerUserFirst_HooksThere()
    {
        var table = Table(
            Rule("DOCKER-USER") + "\n" + Rule("DOCKER-ISOLATION-STAGE-1") + "\n" + Rule("ACCEPT", "docker0 !docker0"),
            Rule("CORRAL-EGRESS") + "\n" + Rule("RETURN"),
            entryReferences: 1);
        Assert.Equal("DOCKER-USER", EgressFirewall.HookChain(table));
        Assert.True(EgressFirewall.HookIsHealthy(table));
    }

    [Fact]
    public void NoDockerUser_HooksFirstInForward()
    {
        // Docker 20.10's ip6tables: no DOCKER-USER chain.
        var table = Table(Rule("CORRAL-EGRESS") + "\n" + Rule("DOCKER-ISOLATION-STAGE-1"), null, entryReferences: 1);
        Assert.Equal("FORWARD", EgressFirewall.HookChain(table));
        Assert.True(EgressFirewall.HookIsHealthy(table));
    }

    [Fact]
    public void AfterADockerdRestart_ItsRulesAboveTheHook_ShadowIt()
    {
        // dockerd re-inserts its ACCEPT for the bridge at the top of FORWARD: the job's packets never reach the hook.
        var table = Table(
            Rule("DOCKER-ISOLATION-STAGE-1") + "\n" + Rule("ACCEPT", "docker0 !docker0") + "\n" + Rule("CORRAL-EGRESS"),
            null,
            entryReferences: 1);
        Assert.False(EgressFirewall.HookIsHealthy(table));
    }

    [Fact]
    public void DockerUserNotFirstInForward_HooksInForwardInstead()
    {
        var table = Table(Rule("ACCEPT", "docker0 !docker0") + "\n" + Rule("DOCKER-USER"), Rule("CORRAL-EGRESS"), entryReferences: 1);
        Assert.Equal("FORWARD", EgressFirewall.HookChain(table));
        Assert.False(EgressFirewall.HookIsHealthy(table));
    }

    [Fact]
    public void TwoHooks_WouldCountEveryByteTwice()
    {
        var table = Table(Rule("DOCKER-USER"), Rule("CORRAL-EGRESS") + "\n" + Rule("CORRAL-EGRESS"), entryReferences: 2);
        Assert.False(EgressFirewall.HookIsHealthy(table));
    }

    [Fact]
    public void NoEntryChain_IsNotHooked()
    {
        var table = IptablesListingParser.ParseByName($"Chain FORWARD (policy DROP 0 packets, 0 bytes)\n{Header}\n");
        Assert.False(EgressFirewall.HookIsHealthy(table));
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    [InlineData(false, 2)]
    public void TheHostsInputHook_MustBeFirstInInputAndAlone(bool first, int hooks)
    {
        var rules = new List<string> { Rule("ACCEPT", "lo     *      ") };
        rules.InsertRange(first ? 0 : 1, Enumerable.Repeat(Rule("CORRAL-TO-HOST"), hooks));
        var table = Table(Rule("DOCKER-USER"), Rule("CORRAL-EGRESS"), entryReferences: 1, input: string.Join('\n', rules));
        Assert.Equal(first && hooks == 1, EgressFirewall.HookIsHealthy(table));
    }
}
