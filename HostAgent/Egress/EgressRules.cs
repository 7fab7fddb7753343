using System.Globalization;
using System.Net;

namespace Corral.HostAgent.Egress;

/// <summary>
/// The rules of a job's chains, as iptables arguments. Pure. Each rule carries a comment that names its role, so
/// the counters are read back by role, and an operator reading <c>iptables -L</c> sees what each rule is for.
/// The job's chain:
/// <list type="number">
/// <item><c>corral-bridged</c>: DROP for traffic that stays on the bridge (to another container, or multicast
/// flooded to the bridge's ports): jobs do not talk to each other. It only meets FORWARD because Docker turns on
/// br_netfilter.</item>
/// <item><c>corral-guard</c>: a new connection (not a reply) goes through the job's guard chain, which rejects what
/// the job may not reach and returns the rest.</item>
/// <item><c>corral-excluded</c>: RETURN for each excluded destination of the family (free traffic, not counted).</item>
/// <item><c>corral-counted</c>: no target; counts every other byte the job tries to send.</item>
/// <item><c>corral-allowance:N</c> (quota only): RETURN while the kernel's quota match has bytes left of N.</item>
/// <item><c>corral-over-quota</c> (quota only): DROP, so the kernel stops the traffic at the quota.</item>
/// </list>
/// The allowance rule is kept apart from the counting rule so it can be re-armed with a new N without losing a
/// byte of the count. Rejected traffic never reaches the counting rule; allowed traffic is counted as before.
/// </summary>
public static class EgressRules
{
    public const string BridgedComment = "corral-bridged";
    public const string ExcludedComment = "corral-excluded";
    public const string CountedComment = "corral-counted";
    public const string AllowanceCommentPrefix = "corral-allowance:";
    public const string OverQuotaComment = "corral-over-quota";
    public const string JobCommentPrefix = "corral-job:";
    public const string GuardComment = "corral-guard";
    public const string DnsComment = "corral-dns";
    public const string BlockedDnsComment = "corral-blocked-dns";
    public const string AllowedComment = "corral-allowed";
    public const string BlockedComment = "corral-blocked";
    public const string ToHostCommentPrefix = "corral-to-host:";

    /// <summary>Connections the job opens; replies to connections opened to it (a published SSH port) pass.</summary>
    private static readonly string[] NewConnection = ["-m", "conntrack", "!", "--ctstate", "ESTABLISHED,RELATED"];

    /// <summary>The rules of a job's chain, in order, each without the leading <c>-A chain</c>.</summary>
    /// <param name="family">Only the excluded destinations of this family are used.</param>
    /// <param name="guardChain">The job's guard chain (<see cref="GuardChain"/>).</param>
    /// <param name="excluded">DATA_TRANSFER_EXCLUDED_CIDRS, both families.</param>
    /// <param name="quota">DATA_TRANSFER_QUOTA_PER_JOB; 0 counts without a limit.</param>
    /// <param name="allowance">Bytes the kernel lets through (the job's remaining quota); ignored when quota is 0.</param>
    public static IReadOnlyList<string[]> JobChain(IpFamily family, string guardChain, IEnumerable<IPNetwork> excluded, long quota, long allowance)
    {
        List<string[]> rules =
        [
            ["-m", "physdev", "--physdev-is-bridged", "-m", "comment", "--comment", BridgedComment, "-j", "DROP"],
            [.. NewConnection, "-m", "comment", "--comment", GuardComment, "-j", guardChain],
        ];
        rules.AddRange(excluded
            .Where(n => IpFamilies.Of(n) == family)
            .Select(n => new[] { "-d", n.ToString(), "-m", "comment", "--comment", ExcludedComment, "-j", "RETURN" }));
        rules.Add(["-m", "comment", "--comment", CountedComment]);
        if (quota > 0)
        {
            rules.Add(Allowance(allowance));
            rules.Add(["-m", "comment", "--comment", OverQuotaComment, "-j", "DROP"]);
        }

        return rules;
    }

    /// <summary>
    /// The rules of a job's guard chain, reached for each new connection: DNS to the resolvers returns, any other DNS
    /// is rejected; allowed destinations return, blocked ones (excluded ranges, metadata services) are rejected;
    /// everything else returns to the job's chain, which counts it.
    /// </summary>
    public static IReadOnlyList<string[]> GuardChain(IpFamily family, JobNetworkPolicy policy)
    {
        List<string[]> rules = [];
        foreach (var server in policy.DnsServers.Where(s => IpFamilies.Of(s) == family))
        {
            rules.AddRange(Dns(["-d", server.ToString()], DnsComment, "RETURN"));
        }

        rules.AddRange(Dns([], BlockedDnsComment, "REJECT"));
        rules.AddRange(policy.Allowed
            .Where(n => IpFamilies.Of(n) == family)
            .Select(n => new[] { "-d", n.ToString(), "-m", "comment", "--comment", AllowedComment, "-j", "RETURN" }));
        rules.AddRange(policy.Blocked
            .Where(n => IpFamilies.Of(n) == family)
            .Select(n => new[] { "-d", n.ToString(), "-m", "comment", "--comment", BlockedComment, "-j", "REJECT" }));
        return rules;
    }

    /// <summary>
    /// The job's rule in CORRAL-TO-HOST (reached first from INPUT): a connection the job opens to the host itself is
    /// rejected, whatever the port (PostgreSQL, the silo and gateway ports, the Docker API). Replies to connections
    /// the host opened pass; so does ICMPv6, which the container needs to find its router (neighbour discovery).
    /// </summary>
    public static string[] ToHost(IpFamily family, string jobChain, string macAddress) =>
    [
        "-m", "mac", "--mac-source", macAddress,
        .. family == IpFamily.V6 ? (string[])["!", "-p", "ipv6-icmp"] : [],
        .. NewConnection, "-m", "comment", "--comment", ToHostCommentPrefix + jobChain, "-j", "REJECT",
    ];

    public static string[] Allowance(long bytes)
    {
        var value = Math.Max(0, bytes).ToString(CultureInfo.InvariantCulture);
        return ["-m", "quota", "--quota", value, "-m", "comment", "--comment", AllowanceCommentPrefix + value, "-j", "RETURN"];
    }

    /// <summary>
    /// The rule in the entry chain that sends the job's packets, and only those, to its chain: by the container's
    /// source MAC, which is fixed before the container starts (its IP addresses are not), so the rule is there before
    /// the first packet. It is a goto, not a jump: when the job's chain returns, the packet leaves the entry chain
    /// and goes on through Docker's rules, never past another job's rule.
    /// </summary>
    public static string[] Jump(string jobChain, string macAddress, string jobId) =>
        ["-m", "mac", "--mac-source", macAddress, "-m", "comment", "--comment", JobCommentPrefix + jobId, "-g", jobChain];

    /// <summary>The one rule, first in INPUT, that leads every packet for the host to CORRAL-TO-HOST.</summary>
    public static string[] InputHook { get; } = ["-j", EgressChainName.ToHost];

    /// <summary>The one rule, first in DOCKER-USER or FORWARD, that leads every forwarded packet to the entry chain.</summary>
    public static string[] Hook { get; } = ["-j", EgressChainName.Entry];

    private static IEnumerable<string[]> Dns(string[] destination, string comment, string target) =>
        new[] { "udp", "tcp" }.Select(protocol =>
            (string[])[.. destination, "-p", protocol, "--dport", "53", "-m", "comment", "--comment", comment, "-j", target]);
}
