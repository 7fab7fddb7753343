using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent.Egress;

/// <summary>
/// The egress chains in the host's filter tables (IPv4 and IPv6): the entry chain and its hook, and one chain per
/// job. Every change to shared chains happens under <see cref="HostLock"/>; a job's chain and its jump appear
/// together in one <c>iptables-restore</c>, so no packet meets half a rule set.
/// </summary>
/// <remarks>
/// The hook sits first in DOCKER-USER, which Docker evaluates first in FORWARD, re-inserts first on every start and
/// never flushes; a hook of our own in FORWARD would end up below the ACCEPT rules Docker re-inserts at the top of
/// FORWARD when dockerd restarts, and the job's traffic would pass unmetered. Where a family has no DOCKER-USER chain
/// (Docker 20.10 creates it for IPv4 only) or DOCKER-USER is not first in FORWARD, the hook goes first in FORWARD,
/// and each poll puts it back on top if anything moved it (<see cref="EnsureHookAsync"/>).
/// </remarks>
public sealed partial class EgressFirewall(IIptables iptables, HostLock hostLock, ILogger<EgressFirewall> logger)
{
    private const string Forward = "FORWARD";
    private const string DockerUser = "DOCKER-USER";
    private const string Input = "INPUT";
    private const string Entry = EgressChainName.Entry;
    private const string ToHost = EgressChainName.ToHost;

    /// <summary>The whole filter table of a family, chains by name, with exact counters.</summary>
    public async Task<IReadOnlyDictionary<string, IptablesChain>> ListAsync(IpFamily family, CancellationToken cancellationToken) =>
        IptablesListingParser.ParseByName(await iptables.RunAsync(family, ["-x", "-v", "-n", "-L"], cancellationToken));

    /// <summary>
    /// Sets up the entry chain and its hook in both families, and removes the chains of this agent's jobs that are
    /// gone. The chains of live jobs stay, counters and all, for the agent to re-attach. So do the chains of other
    /// agents on this host: they attach a job's chains while its container is being created, so a chain whose
    /// container does not exist yet may belong to a job another agent is starting this very moment.
    /// </summary>
    /// <param name="liveJobIds">The jobs that still have a container (running or not), on any worker.</param>
    /// <param name="macFor">The MAC address this agent gives a job's container: a jump for another is another agent's.</param>
    /// <param name="cancellationToken">Stops between changes.</param>
    /// <returns>The chains removed.</returns>
    public async Task<IReadOnlyList<(IpFamily Family, string Chain)>> PrepareAsync(
        Func<CancellationToken, Task<IEnumerable<string>>> liveJobIds, Func<string, string> macFor, CancellationToken cancellationToken)
    {
        var found = new List<(IpFamily Family, string Chain)>();
        foreach (var family in IpFamilies.All)
        {
            using var held = await hostLock.AcquireAsync(cancellationToken);
            var listing = await EnsureEntryLockedAsync(family, await ListAsync(family, cancellationToken), cancellationToken);
            found.AddRange(listing.Keys
                .Where(chain => EgressChainName.IsJobChain(chain) && !IsAnotherAgentsChain(listing, chain, macFor))
                .Select(chain => (family, chain)));
        }

        // Asked after the chains were listed: a chain this agent made since then belongs to a container this answer shows.
        var live = (await liveJobIds(cancellationToken)).Select(EgressChainName.ForJob).ToHashSet(StringComparer.Ordinal);
        var stale = found.Where(c => !live.Contains(c.Chain)).ToList();
        foreach (var (family, chain) in stale)
        {
            await DetachAsync(family, chain, cancellationToken);
        }

        return stale;
    }

    /// <summary>
    /// True when the chain's jump names a job whose MAC address, as this agent derives it, is not the one the jump
    /// matches: another agent (another key) made it. A chain with no jump is nobody's, since a jump comes with its chain.
    /// </summary>
    private static bool IsAnotherAgentsChain(IReadOnlyDictionary<string, IptablesChain> listing, string chain, Func<string, string> macFor)
    {
        var jump = listing[Entry].Rules.FirstOrDefault(r => r.Target == chain);
        if (jump?.Comment is not { } comment || !comment.StartsWith(EgressRules.JobCommentPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var jobId = comment[EgressRules.JobCommentPrefix.Length..];
        return !jump.Options.Contains(macFor(jobId), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Repairs the hook when the listing shows it missing, doubled or no longer first (a dockerd restart, an operator's
    /// rule); true when it had to.
    /// </summary>
    public async Task<bool> EnsureHookAsync(IpFamily family, IReadOnlyDictionary<string, IptablesChain> listing, CancellationToken cancellationToken)
    {
        if (HookIsHealthy(listing))
        {
            return false;
        }

        using var held = await hostLock.AcquireAsync(cancellationToken);
        await EnsureEntryLockedAsync(family, await ListAsync(family, cancellationToken), cancellationToken);
        return true;
    }

    /// <summary>
    /// Makes sure the job's chain and its guard chain exist (created with <paramref name="rules"/> and
    /// <paramref name="guardRules"/> when the job's chain does not; kept, counters and all, when it does), that exactly
    /// one rule of the entry chain sends the job's packets to it, and exactly one rule of CORRAL-TO-HOST refuses its
    /// connections to the host.
    /// </summary>
    /// <param name="family">The firewall to change.</param>
    /// <param name="chain">The job's chain.</param>
    /// <param name="macAddress">The job container's MAC address.</param>
    /// <param name="jobId">Named in the jump's comment, for whoever reads the rules.</param>
    /// <param name="rules">The chain's rules, used only when it has to be created.</param>
    /// <param name="guardRules">The guard chain's rules, used only when the job's chain has to be created.</param>
    /// <param name="cancellationToken">Stops waiting for the lock; a change under way is finished.</param>
    public async Task AttachAsync(
        IpFamily family,
        string chain,
        string macAddress,
        string jobId,
        IReadOnlyList<string[]> rules,
        IReadOnlyList<string[]> guardRules,
        CancellationToken cancellationToken)
    {
        using var held = await hostLock.AcquireAsync(cancellationToken);
        var listing = await EnsureEntryLockedAsync(family, await ListAsync(family, cancellationToken), cancellationToken);
        var script = new StringBuilder("*filter\n");
        if (!listing.ContainsKey(chain))
        {
            var guard = EgressChainName.GuardFor(chain);
            script.Append(listing.ContainsKey(guard) ? $"-F {guard}\n" : $":{guard} - [0:0]\n");
            AppendRules(script, guard, guardRules);
            script.Append(CultureInfo.InvariantCulture, $":{chain} - [0:0]\n");
            AppendRules(script, chain, rules);
        }

        AppendOneRule(script, listing, ToHost, r => r.Comment == EgressRules.ToHostCommentPrefix + chain, macAddress, EgressRules.ToHost(family, chain, macAddress));

        AppendOneRule(script, listing, Entry, r => r.Target == chain, macAddress, EgressRules.Jump(chain, macAddress, jobId));
        script.Append("COMMIT\n");
        await iptables.RestoreAsync(family, script.ToString(), cancellationToken);
    }

    /// <summary>Gives the job's quota match a new allowance; the counting rule, and so the count, is untouched.</summary>
    public async Task RearmAsync(IpFamily family, string chain, int ruleNumber, long allowance, CancellationToken cancellationToken)
    {
        using var held = await hostLock.AcquireAsync(cancellationToken);
        await iptables.RunAsync(
            family, ["-R", chain, ruleNumber.ToString(CultureInfo.InvariantCulture), .. EgressRules.Allowance(allowance)], cancellationToken);
    }

    /// <summary>Removes the job's jumps and its chain; nothing happens when there is no such chain.</summary>
    public async Task DetachAsync(IpFamily family, string chain, CancellationToken cancellationToken)
    {
        using var held = await hostLock.AcquireAsync(cancellationToken);
        var listing = await ListAsync(family, cancellationToken);
        if (!listing.ContainsKey(chain))
        {
            return;
        }

        var script = new StringBuilder("*filter\n");
        AppendDeletes(script, listing, Entry, r => r.Target == chain);
        AppendDeletes(script, listing, ToHost, r => r.Comment == EgressRules.ToHostCommentPrefix + chain);
        script.Append(CultureInfo.InvariantCulture, $"-F {chain}\n-X {chain}\n");
        var guard = EgressChainName.GuardFor(chain);
        if (listing.ContainsKey(guard))
        {
            // After the job's chain, whose rule jumps to it: a chain still referenced cannot be deleted.
            script.Append(CultureInfo.InvariantCulture, $"-F {guard}\n-X {guard}\n");
        }

        script.Append("COMMIT\n");
        await iptables.RestoreAsync(family, script.ToString(), cancellationToken);
    }

    /// <summary>
    /// True when every forwarded packet meets the entry chain exactly once, before any other rule, and every packet
    /// for the host meets CORRAL-TO-HOST the same way: each hook is the only reference to its chain and the first rule
    /// of the chain it belongs in.
    /// </summary>
    public static bool HookIsHealthy(IReadOnlyDictionary<string, IptablesChain> listing) =>
        IsOnlyFirstJump(listing, HookChain(listing), Entry) && IsOnlyFirstJump(listing, Input, ToHost);

    private static bool IsOnlyFirstJump(IReadOnlyDictionary<string, IptablesChain> listing, string from, string to) =>
        listing.TryGetValue(to, out var target)
        && target.References == 1
        && listing.TryGetValue(from, out var hook)
        && hook.Rules.Count > 0
        && hook.Rules[0].Target == to;

    private static void AppendRules(StringBuilder script, string chain, IEnumerable<string[]> rules)
    {
        foreach (var rule in rules)
        {
            script.Append(CultureInfo.InvariantCulture, $"-A {chain} {string.Join(' ', rule)}\n");
        }
    }

    /// <summary>
    /// Leaves exactly one of the job's rules in a shared chain: the first that names its MAC is kept, any other
    /// (doubled, or made for another MAC) deleted, and <paramref name="rule"/> added when none was kept.
    /// </summary>
    private static void AppendOneRule(
        StringBuilder script, IReadOnlyDictionary<string, IptablesChain> listing, string chain, Func<IptablesRule, bool> isJobs, string macAddress, string[] rule)
    {
        var kept = listing[chain].Rules.FirstOrDefault(r => isJobs(r) && r.Options.Contains(macAddress, StringComparison.OrdinalIgnoreCase));
        AppendDeletes(script, listing, chain, r => isJobs(r) && !ReferenceEquals(r, kept));
        if (kept is null)
        {
            script.Append(CultureInfo.InvariantCulture, $"-A {chain} {string.Join(' ', rule)}\n");
        }
    }

    /// <summary>Deletes a shared chain's matching rules by number, from the last, since numbers shift as rules go.</summary>
    private static void AppendDeletes(StringBuilder script, IReadOnlyDictionary<string, IptablesChain> listing, string chain, Func<IptablesRule, bool> matches)
    {
        if (!listing.TryGetValue(chain, out var existing))
        {
            return;
        }

        for (var i = existing.Rules.Count - 1; i >= 0; i--)
        {
            if (matches(existing.Rules[i]))
            {
                script.Append(CultureInfo.InvariantCulture, $"-D {chain} {i + 1}\n");
            }
        }
    }

    /// <summary>DOCKER-USER while Docker keeps it first in FORWARD; FORWARD itself otherwise.</summary>
    public static string HookChain(IReadOnlyDictionary<string, IptablesChain> listing) =>
        listing.ContainsKey(DockerUser)
        && listing.TryGetValue(Forward, out var forward)
        && forward.Rules.Count > 0
        && forward.Rules[0].Target == DockerUser
            ? DockerUser
            : Forward;

    private async Task<IReadOnlyDictionary<string, IptablesChain>> EnsureEntryLockedAsync(
        IpFamily family, IReadOnlyDictionary<string, IptablesChain> listing, CancellationToken cancellationToken)
    {
        if (HookIsHealthy(listing))
        {
            return listing;
        }

        // One restore, so packets meet either the old hooks or the new one, never none. Docker's chains may change
        // under us (dockerd may be starting), so hooks there are deleted by their rule, never by number.
        var repairing = listing.ContainsKey(Entry);
        var script = new StringBuilder("*filter\n");
        foreach (var chain in new[] { Entry, ToHost }.Where(c => !listing.ContainsKey(c)))
        {
            script.Append(CultureInfo.InvariantCulture, $":{chain} - [0:0]\n");
        }

        var inputHook = string.Join(' ', EgressRules.InputHook);
        var inputHooks = listing.TryGetValue(Input, out var input) ? input.Rules.Count(r => r.Target == ToHost) : 0;
        for (var i = 0; i < inputHooks; i++)
        {
            script.Append(CultureInfo.InvariantCulture, $"-D {Input} {inputHook}\n");
        }

        script.Append(CultureInfo.InvariantCulture, $"-I {Input} 1 {inputHook}\n");

        var hook = string.Join(' ', EgressRules.Hook);
        foreach (var chain in new[] { Forward, DockerUser })
        {
            var hooks = listing.TryGetValue(chain, out var existing) ? existing.Rules.Count(r => r.Target == Entry) : 0;
            for (var i = 0; i < hooks; i++)
            {
                script.Append(CultureInfo.InvariantCulture, $"-D {chain} {hook}\n");
            }
        }

        var hookChain = HookChain(listing);
        script.Append(CultureInfo.InvariantCulture, $"-I {hookChain} 1 {hook}\nCOMMIT\n");
        await iptables.RestoreAsync(family, script.ToString(), cancellationToken);
        if (repairing)
        {
            LogHookRepaired(family.Command(), hookChain);
        }
        else
        {
            LogHookInstalled(family.Command(), hookChain);
        }

        return await ListAsync(family, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Egress metering hooked in: {Command} chain {Chain} starts with a jump to CORRAL-EGRESS")]
    private partial void LogHookInstalled(string command, string chain);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Egress hook was missing, doubled or shadowed (a dockerd restart?): {Command} chain {Chain} starts with a jump to CORRAL-EGRESS again")]
    private partial void LogHookRepaired(string command, string chain);
}
