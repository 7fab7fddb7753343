namespace Corral.HostAgent.Egress;

/// <summary>One chain of an <c>iptables -x -v -n -L</c> listing.</summary>
/// <param name="Name">The chain's name.</param>
/// <param name="References">How many rules jump here; null for a built-in chain (which has a policy instead).</param>
/// <param name="Rules">The rules, in the order the kernel evaluates them.</param>
public sealed record IptablesChain(string Name, int? References, IReadOnlyList<IptablesRule> Rules);
