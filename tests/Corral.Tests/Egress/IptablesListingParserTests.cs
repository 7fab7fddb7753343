using Corral.HostAgent.Egress;
using Xunit;

namespace Corral.Tests.Egress;

/// <summary>The listing parser, on output captured from iptables 1.8.9 (nf_tables and legacy) and ip6tables.</summary>
public sealed class IptablesListingParserTests
{
    // iptables -w -x -v -n -L <chain> of a fresh job chain with a 1 MB quota (nf_tables backend).
    private const string FreshChain = """
        Chain CORRAL-0199a3b2c4d5e6f7a8b9 (1 references)
            pkts      bytes target     prot opt in     out     source               destination         
               0        0 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0            PHYSDEV match --physdev-is-bridged /* corral-bridged */
               0        0 RETURN     0    --  *      *       0.0.0.0/0            10.0.0.0/8           /* corral-excluded */
               0        0 RETURN     0    --  *      *       0.0.0.0/0            172.16.0.0/12        /* corral-excluded */
               0        0 RETURN     0    --  *      *       0.0.0.0/0            192.168.0.0/16       /* corral-excluded */
               0        0 RETURN     0    --  *      *       0.0.0.0/0            169.254.0.0/16       /* corral-excluded */
               0        0            0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* corral-counted */
               0        0 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0            quota: 1000000 bytes /* corral-allowance:1000000 */
               0        0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* corral-over-quota */
        """;

    // The same chain after a container tried to send 10 MB: the kernel let 998840 bytes through and dropped the rest.
    private const string OverQuota = """
        Chain CORRAL-0199a3b2c4d5e6f7a8b9 (1 references)
            pkts      bytes target     prot opt in     out     source               destination         
               0        0 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0            PHYSDEV match --physdev-is-bridged /* corral-bridged */
               3      164 RETURN     0    --  *      *       0.0.0.0/0            10.0.0.0/8           /* corral-excluded */
               0        0 RETURN     0    --  *      *       0.0.0.0/0            172.16.0.0/12        /* corral-excluded */
               0        0 RETURN     0    --  *      *       0.0.0.0/0            192.168.0.0/16       /* corral-excluded */
               0        0 RETURN     0    --  *      *       0.0.0.0/0            169.254.0.0/16       /* corral-excluded */
             427  1347276            0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* corral-counted */
             236   998840 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0            quota: 1000000 bytes /* corral-allowance:1000000 */
             191   348436 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* corral-over-quota */
        """;

    // Counters past eight digits widen their columns: 100 GB sent (counters loaded with iptables-restore --counters).
    private const string HundredGigabytes = """
        Chain CORRAL-0199a3b2c4d5e6f7a8b9 (0 references)
            pkts      bytes target     prot opt in     out     source               destination         
               0        0 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0            PHYSDEV match --physdev-is-bridged /* corral-bridged */
               3      180 RETURN     0    --  *      *       0.0.0.0/0            10.0.0.0/8           /* corral-excluded */
        80000012 100000018000            0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* corral-counted */
        80000000 100000000000 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0            quota: 200000000000 bytes /* corral-allowance:200000000000 */
              12    18000 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* corral-over-quota */
        """;

    private const string HeaderOnly = """
        Chain CORRAL-0199a3b2c4d5e6f7a8b9 (0 references)
            pkts      bytes target     prot opt in     out     source               destination         
        """;

    // ip6tables, after 10 MB over IPv6, with bridged multicast (router solicitations) returned uncounted.
    private const string Ip6Chain = """
        Chain CORRAL-0199a3b2c4d5e6f7a8b9 (1 references)
            pkts      bytes target     prot opt in     out     source               destination         
               8      560 RETURN     0    --  *      *       ::/0                 ::/0                 PHYSDEV match --physdev-is-bridged /* corral-bridged */
               0        0 RETURN     0    --  *      *       ::/0                 fc00::/7             /* corral-excluded */
               0        0 RETURN     0    --  *      *       ::/0                 fe80::/10            /* corral-excluded */
             913  1212888            0    --  *      *       ::/0                 ::/0                 /* corral-counted */
             808   999024 RETURN     0    --  *      *       ::/0                 ::/0                 quota: 1000000 bytes /* corral-allowance:1000000 */
             105   213864 DROP       0    --  *      *       ::/0                 ::/0                 /* corral-over-quota */
        """;

    // iptables-legacy prints the same columns; a rule without a target leaves that column blank.
    private const string LegacyBlankTarget = """
        Chain CORRAL-0199a3b2c4d5e6f7a8b9 (0 references)
            pkts      bytes target     prot opt in     out     source               destination         
               7     5000 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* corral-counted */
               1       60            0    --  *      *       0.0.0.0/0            0.0.0.0/0           
               0        0 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0            quota: 500 bytes
        """;

    // iptables -w -x -v -n -L: the whole filter table of a Docker host, with the nf_tables backend's warning.
    private const string WholeTable = """
        Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
            pkts      bytes target     prot opt in     out     source               destination         

        Chain FORWARD (policy DROP 0 packets, 0 bytes)
            pkts      bytes target     prot opt in     out     source               destination         
             161   424116 DOCKER-USER  0    --  *      *       0.0.0.0/0            0.0.0.0/0           
             161   424116 DOCKER-ISOLATION-STAGE-1  0    --  *      *       0.0.0.0/0            0.0.0.0/0           
              59     3084 ACCEPT     0    --  *      docker0  0.0.0.0/0            0.0.0.0/0            ctstate RELATED,ESTABLISHED
               0        0 DOCKER     0    --  *      docker0  0.0.0.0/0            0.0.0.0/0           
             102   421032 ACCEPT     0    --  docker0 !docker0  0.0.0.0/0            0.0.0.0/0           

        Chain DOCKER (1 references)
            pkts      bytes target     prot opt in     out     source               destination         
               0        0 ACCEPT     6    --  !docker0 docker0  0.0.0.0/0            172.17.0.2           tcp dpt:2222

        Chain DOCKER-USER (1 references)
            pkts      bytes target     prot opt in     out     source               destination         
             161   424116 CORRAL-EGRESS  0    --  *      *       0.0.0.0/0            0.0.0.0/0           
             161   424116 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0           

        Chain CORRAL-EGRESS (1 references)
            pkts      bytes target     prot opt in     out     source               destination         
             430  1347440 CORRAL-0199a3b2c4d5e6f7a8b9  0    --  *      *       0.0.0.0/0            0.0.0.0/0           [goto]  MAC 06:c0:aa:bb:cc:03 /* corral-job:0199a3b2c4d5e6f7a8b9c0d1e2f3a4b5 */
        # Warning: iptables-legacy tables present, use iptables-legacy to see them
        """;

    public static TheoryData<string, string, long, long, long> CountedRules => new()
    {
        // listing, case, counted bytes (corral-counted), dropped packets, dropped bytes
        { FreshChain, "zero", 0, 0, 0 },
        { OverQuota, "over quota", 1_347_276, 191, 348_436 },
        { HundredGigabytes, "100 GB", 100_000_018_000, 12, 18_000 },
        { Ip6Chain, "ip6tables", 1_212_888, 105, 213_864 },
    };

    [Theory]
    [MemberData(nameof(CountedRules))]
    public void JobChain_IsReadByRole(string listing, string label, long counted, long droppedPackets, long droppedBytes)
    {
        var chain = Assert.Single(IptablesListingParser.Parse(listing));
        var reading = EgressReading.From(chain);
        Assert.Equal("CORRAL-0199a3b2c4d5e6f7a8b9", chain.Name);
        Assert.True(counted == reading.AttemptedBytes, label);
        Assert.Equal((droppedPackets, droppedBytes), (reading.DroppedPackets, reading.DroppedBytes));
        Assert.Equal(counted - droppedBytes, reading.SentBytes);
        Assert.True(reading.SentBytes <= 1_000_000 || label == "100 GB", "the quota match lets through at most the quota");
    }

    [Fact]
    public void OverQuota_SentIsWhatTheQuotaMatchLetThrough()
    {
        var reading = EgressReading.From(Assert.Single(IptablesListingParser.Parse(OverQuota)));
        Assert.Equal(998_840, reading.SentBytes);
        Assert.Equal(998_840, reading.AllowanceUsed);
        Assert.Equal(1_160, reading.AllowanceLeft);
    }

    [Fact]
    public void FreshChain_HasEveryRuleWithItsColumns()
    {
        var chain = Assert.Single(IptablesListingParser.Parse(FreshChain));
        Assert.Equal(1, chain.References);
        Assert.Equal(["RETURN", "RETURN", "RETURN", "RETURN", "RETURN", "", "RETURN", "DROP"], chain.Rules.Select(r => r.Target));
        Assert.Equal(
            ["0.0.0.0/0", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "0.0.0.0/0", "0.0.0.0/0", "0.0.0.0/0"],
            chain.Rules.Select(r => r.Destination));
        Assert.Equal("quota: 1000000 bytes /* corral-allowance:1000000 */", chain.Rules[6].Options);
        var reading = EgressReading.From(chain);
        Assert.Equal((1_000_000L, 0L, 1_000_000L, 7), (reading.ArmedAllowance, reading.AllowanceUsed, reading.AllowanceLeft, reading.AllowanceRuleNumber));
    }

    [Fact]
    public void HundredGigabytes_DoNotShiftTheColumns()
    {
        var rules = Assert.Single(IptablesListingParser.Parse(HundredGigabytes)).Rules;
        Assert.Equal((80_000_012L, 100_000_018_000L, ""), (rules[2].Packets, rules[2].Bytes, rules[2].Target));
        Assert.Equal((80_000_000L, 100_000_000_000L, "RETURN"), (rules[3].Packets, rules[3].Bytes, rules[3].Target));
        Assert.Equal("0.0.0.0/0", rules[3].Destination);
        var reading = EgressReading.From(new IptablesChain("c", 0, rules));
        Assert.Equal((100_000_000_000L, 100_000_000_000L), (reading.SentBytes, reading.AllowanceLeft!.Value));
    }

    [Fact]
    public void HeaderOnly_IsAChainWithoutRules_AndReadsAsNothing()
    {
        var chain = Assert.Single(IptablesListingParser.Parse(HeaderOnly));
        Assert.Equal(0, chain.References);
        Assert.Empty(chain.Rules);
        Assert.Equal(EgressReading.None, EgressReading.From(chain));
        Assert.Null(EgressReading.From(chain).AllowanceLeft);
    }

    [Fact]
    public void LegacyBackend_BlankTarget_IsACountingRule()
    {
        var rules = Assert.Single(IptablesListingParser.Parse(LegacyBlankTarget)).Rules;
        Assert.Equal(["RETURN", "", "RETURN"], rules.Select(r => r.Target));
        Assert.Equal([5000L, 60L, 0L], rules.Select(r => r.Bytes));
        Assert.Equal(["corral-counted", null, null], rules.Select(r => r.Comment));
    }

    [Fact]
    public void WholeTable_HasEveryChain_WithPoliciesReferencesAndLongTargets()
    {
        var chains = IptablesListingParser.ParseByName(WholeTable);
        Assert.Equal(["CORRAL-EGRESS", "DOCKER", "DOCKER-USER", "FORWARD", "INPUT"], chains.Keys.Order(StringComparer.Ordinal));
        Assert.Null(chains["FORWARD"].References);
        Assert.Empty(chains["INPUT"].Rules);
        Assert.Equal("DOCKER-ISOLATION-STAGE-1", chains["FORWARD"].Rules[1].Target);
        var jump = Assert.Single(chains["CORRAL-EGRESS"].Rules);
        Assert.Equal(("CORRAL-0199a3b2c4d5e6f7a8b9", "0.0.0.0/0", 1_347_440L), (jump.Target, jump.Source, jump.Bytes));
        Assert.StartsWith("[goto]  MAC 06:c0:aa:bb:cc:03", jump.Options);
        Assert.Equal("corral-job:0199a3b2c4d5e6f7a8b9c0d1e2f3a4b5", jump.Comment);
        Assert.Equal("172.17.0.2", chains["DOCKER"].Rules[0].Destination);
    }

    [Theory]
    [InlineData("       0        0 RETURN     0    --  *      *       0.0.0.0/0            10.0.0.0/8")]
    [InlineData("Chain X (1 references)\nnot a rule")]
    [InlineData("Chain X (1 references)\n   12abc   0 RETURN 0 -- * * 0.0.0.0/0 0.0.0.0/0")]
    public void Garbage_IsAFormatException(string listing)
    {
        Assert.Throws<FormatException>(() => IptablesListingParser.Parse(listing));
    }

    [Fact]
    public void EmptyOutput_HasNoChains()
    {
        Assert.Empty(IptablesListingParser.Parse(string.Empty));
    }
}
