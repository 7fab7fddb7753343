using Corral.HostAgent.Egress;
using Xunit;

namespace Corral.Tests.Egress;

/// <summary>The listing parser, on output captured from iptables 1.8.9 (nf_tables and legacy) and ip6tables.</summary>
public sealed class IptablesListingParserTests
{
    // iptables -w -x -v -n -L <chain> of a fresh job chain with a quota (nf_tables backend).
    private const string FreshChain = """
        Chain CORRAL-0199a3b2c4d5e6f7a8b9 (1 references)
            pkts      bytes target     prot opt in     out     source               destination         
               0        0 RETURN     0    --  *      *       0.0.0.0/0            10.0.0.0/8           /* corral-excluded */
               0        0 RETURN     0    --  *      *       0.0.0.0/0            172.16.0.0/12        /* corral-excluded */
               0        0            0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* corral-counted */
               0        0 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0            quota: 1000000 bytes /* corral-allowance:1000000 */
               0        0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* corral-over-quota */
        """;

    // Counters past eight digits widen their columns: 100 GB counted, as the kernel lists it.
    private const string HundredGigabytes = """
        Chain CORRAL-0199a3b2c4d5e6f7a8b9 (1 references)
            pkts      bytes target     prot opt in     out     source               destination         
               3      180 RETURN     0    --  *      *       0.0.0.0/0            172.16.0.0/12        /* corral-excluded */
        80000000 100000000000            0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* corral-counted */
        80000000 100000000000 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0            quota: 200000000000 bytes /* corral-allowance:200000000000 */
              12    18000 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* corral-over-quota */
        """;

    private const string HeaderOnly = """
        Chain CORRAL-0199a3b2c4d5e6f7a8b9 (0 references)
            pkts      bytes target     prot opt in     out     source               destination         
        """;

    private const string Ip6Chain = """
        Chain CORRAL-0199a3b2c4d5e6f7a8b9 (1 references)
            pkts      bytes target     prot opt in     out     source               destination         
               2      144 RETURN     0    --  *      *       ::/0                 fc00::/7             /* corral-excluded */
               0        0 RETURN     0    --  *      *       ::/0                 fe80::/10            /* corral-excluded */
             731  1041880            0    --  *      *       ::/0                 ::/0                 /* corral-counted */
             731  1041880 RETURN     0    --  *      *       ::/0                 ::/0                 quota: 1000000 bytes /* corral-allowance:1000000 */
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
              95   420000 CORRAL-0199a3b2c4d5e6f7a8b9  0    --  *      *       172.17.0.2           0.0.0.0/0            /* corral-job:0199a3b2c4d5e6f7a8b9c0d1e2f3a4b5 */
        # Warning: iptables-legacy tables present, use iptables-legacy to see them
        """;

    public static TheoryData<string, string, long, long, long> CountedRules => new()
    {
        // listing, case, counted bytes (corral-counted), dropped packets, dropped bytes
        { FreshChain, "zero", 0, 0, 0 },
        { HundredGigabytes, "100 GB", 100_000_000_000, 12, 18_000 },
        { Ip6Chain, "ip6tables", 1_041_880, 0, 0 },
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
    }

    [Fact]
    public void FreshChain_HasEveryRuleWithItsColumns()
    {
        var chain = Assert.Single(IptablesListingParser.Parse(FreshChain));
        Assert.Equal(1, chain.References);
        Assert.Equal(["RETURN", "RETURN", "", "RETURN", "DROP"], chain.Rules.Select(r => r.Target));
        Assert.Equal(["10.0.0.0/8", "172.16.0.0/12", "0.0.0.0/0", "0.0.0.0/0", "0.0.0.0/0"], chain.Rules.Select(r => r.Destination));
        Assert.Equal("quota: 1000000 bytes /* corral-allowance:1000000 */", chain.Rules[3].Options);
        var reading = EgressReading.From(chain);
        Assert.Equal((1_000_000L, 0L, 1_000_000L, 4), (reading.ArmedAllowance, reading.AllowanceUsed, reading.AllowanceLeft, reading.AllowanceRuleNumber));
    }

    [Fact]
    public void HundredGigabytes_DoNotShiftTheColumns()
    {
        var rules = Assert.Single(IptablesListingParser.Parse(HundredGigabytes)).Rules;
        Assert.Equal((80_000_000L, 100_000_000_000L, ""), (rules[1].Packets, rules[1].Bytes, rules[1].Target));
        Assert.Equal((80_000_000L, 100_000_000_000L, "RETURN"), (rules[2].Packets, rules[2].Bytes, rules[2].Target));
        Assert.Equal(100_000_000_000, EgressReading.From(new IptablesChain("c", 1, rules)).AllowanceLeft);
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
        Assert.Equal(("CORRAL-0199a3b2c4d5e6f7a8b9", "172.17.0.2", 420_000L), (jump.Target, jump.Source, jump.Bytes));
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
