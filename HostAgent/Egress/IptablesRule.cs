namespace Corral.HostAgent.Egress;

/// <summary>One rule of an <c>iptables -x -v -n -L</c> listing, with its counters.</summary>
/// <param name="Packets">Packets that matched the rule.</param>
/// <param name="Bytes">Bytes that matched the rule (whole IP packets, headers included).</param>
/// <param name="Target">The jump target; empty for a rule that only counts.</param>
/// <param name="Source">As listed: <c>0.0.0.0/0</c>, <c>172.17.0.2</c>, <c>fd00::/8</c>.</param>
/// <param name="Destination">As listed, like the source.</param>
/// <param name="Comment">The text of a <c>-m comment</c> match, if the rule has one.</param>
/// <param name="Options">What the listing shows after the destination (matches and their values).</param>
public sealed record IptablesRule(
    long Packets,
    long Bytes,
    string Target,
    string Source,
    string Destination,
    string? Comment,
    string Options);
