using System.Globalization;
using System.Net;

namespace Corral.HostAgent.Egress;

/// <summary>
/// The rules of a job's chain, as iptables arguments. Pure. Each rule carries a comment that names its role, so
/// the counters are read back by role, and an operator reading <c>iptables -L</c> sees what each rule is for:
/// <list type="number">
/// <item><c>corral-bridged</c>: RETURN for traffic that stays on the bridge (to another container, or multicast
/// flooded to the bridge's ports). It never leaves the host; it only meets FORWARD because Docker turns on
/// br_netfilter.</item>
/// <item><c>corral-excluded</c>: RETURN for each excluded destination of the family (free traffic, not counted).</item>
/// <item><c>corral-counted</c>: no target; counts every other byte the job tries to send.</item>
/// <item><c>corral-allowance:N</c> (quota only): RETURN while the kernel's quota match has bytes left of N.</item>
/// <item><c>corral-over-quota</c> (quota only): DROP, so the kernel stops the traffic at the quota.</item>
/// </list>
/// The allowance rule is kept apart from the counting rule so it can be re-armed with a new N without losing a
/// byte of the count.
/// </summary>
public static class EgressRules
{
    public const string BridgedComment = "corral-bridged";
    public const string ExcludedComment = "corral-excluded";
    public const string CountedComment = "corral-counted";
    public const string AllowanceCommentPrefix = "corral-allowance:";
    public const string OverQuotaComment = "corral-over-quota";
    public const string JobCommentPrefix = "corral-job:";

    /// <summary>The rules of a job's chain, in order, each without the leading <c>-A chain</c>.</summary>
    /// <param name="family">Only the excluded destinations of this family are used.</param>
    /// <param name="excluded">DATA_TRANSFER_EXCLUDED_CIDRS, both families.</param>
    /// <param name="quota">DATA_TRANSFER_QUOTA_PER_JOB; 0 counts without a limit.</param>
    /// <param name="allowance">Bytes the kernel lets through (the job's remaining quota); ignored when quota is 0.</param>
    public static IReadOnlyList<string[]> JobChain(IpFamily family, IEnumerable<IPNetwork> excluded, long quota, long allowance)
    {
        List<string[]> rules = [["-m", "physdev", "--physdev-is-bridged", "-m", "comment", "--comment", BridgedComment, "-j", "RETURN"]];
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

    /// <summary>The one rule, first in DOCKER-USER or FORWARD, that leads every forwarded packet to the entry chain.</summary>
    public static string[] Hook { get; } = ["-j", EgressChainName.Entry];
}
