using System.Globalization;
using System.Text.RegularExpressions;

namespace Corral.HostAgent.Egress;

/// <summary>
/// Reads the output of <c>iptables -w -x -v -n -L [chain]</c> (and <c>ip6tables</c>, nf_tables or legacy backend):
/// every chain with its rules and exact byte and packet counters. Pure: no process is run here.
/// </summary>
public static partial class IptablesListingParser
{
    public static IReadOnlyList<IptablesChain> Parse(string listing)
    {
        var chains = new List<IptablesChain>();
        string? name = null;
        int? references = null;
        List<IptablesRule>? rules = null;
        foreach (var raw in listing.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            // Blank lines separate chains; '#' lines are the nf_tables backend's warnings about legacy tables.
            if (line.Trim().Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (ChainHeader().Match(line) is { Success: true } header)
            {
                if (name is not null)
                {
                    chains.Add(new IptablesChain(name, references, rules!));
                }

                name = header.Groups["name"].Value;
                references = header.Groups["references"].Success
                    ? int.Parse(header.Groups["references"].Value, CultureInfo.InvariantCulture)
                    : null;
                rules = [];
                continue;
            }

            if (rules is null)
            {
                throw new FormatException($"iptables listing: a line before any chain header: '{line}'");
            }

            if (ColumnHeader().IsMatch(line))
            {
                continue;
            }

            rules.Add(ParseRule(line));
        }

        if (name is not null)
        {
            chains.Add(new IptablesChain(name, references, rules!));
        }

        return chains;
    }

    /// <summary>The chains of a listing by name (the names of one table are unique).</summary>
    public static IReadOnlyDictionary<string, IptablesChain> ParseByName(string listing) =>
        Parse(listing).ToDictionary(c => c.Name, StringComparer.Ordinal);

    private static IptablesRule ParseRule(string line)
    {
        // iptables prints each counter as "%8llu " and the target as "%-9s ", so the target starts right after the
        // single space that follows the byte count, and is blank for a rule that only counts.
        var rule = RuleLine().Match(line);
        if (!rule.Success)
        {
            throw new FormatException($"iptables listing: not a rule line: '{line}'");
        }

        var comment = CommentText().Match(rule.Groups["options"].Value);
        return new IptablesRule(
            long.Parse(rule.Groups["packets"].Value, CultureInfo.InvariantCulture),
            long.Parse(rule.Groups["bytes"].Value, CultureInfo.InvariantCulture),
            rule.Groups["target"].Value,
            rule.Groups["source"].Value,
            rule.Groups["destination"].Value,
            comment.Success ? comment.Groups["text"].Value : null,
            rule.Groups["options"].Value.Trim());
    }

    [GeneratedRegex(@"^Chain (?<name>\S+) \((?:policy \S+ \d+ packets, \d+ bytes|(?<references>\d+) references)\)$")]
    private static partial Regex ChainHeader();

    [GeneratedRegex(@"^\s*pkts\s+bytes\s+target\s")]
    private static partial Regex ColumnHeader();

    // Columns: pkts bytes target prot opt in out source destination [options]. Older ip6tables print a blank
    // "opt" column, so it is optional here.
    [GeneratedRegex(@"^\s*(?<packets>\d+)\s+(?<bytes>\d+) (?<target>\S*)\s+!?\S+\s+(?:(?:--|-f|!f)\s+)?!?\S+\s+!?\S+\s+(?<source>!?\S+)\s+(?<destination>!?\S+)(?<options>.*)$")]
    private static partial Regex RuleLine();

    [GeneratedRegex(@"/\*\s*(?<text>.*?)\s*\*/")]
    private static partial Regex CommentText();
}
