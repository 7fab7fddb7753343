using Corral.HostAgent.Egress;
using Xunit;

namespace Corral.Tests.Egress;

/// <summary>Where the hook belongs, and when a listing shows it shadowed, doubled or gone.</summary>
public sealed class EgressHookTests
{
    private const string Header = "    pkts      bytes target     prot opt in     out     source               destination";

    private static IReadOnlyDictionary<string, IptablesChain> Table(string forward, string? dockerUser, int entryReferences) =>
        IptablesListingParser.ParseByName(
            $"Chain FORWARD (policy DROP 0 packets, 0 bytes)\n{Header}\n{forward}\n"
            + (dockerUser is null ? string.Empty : $"Chain DOCKER-USER (1 references)\n{Header}\n{dockerUser}\n")
            + $"Chain CORRAL-EGRESS ({entryReferences} references)\n{Header}\n");

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
}
