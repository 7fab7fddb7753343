namespace Corral.HostAgent.Egress;

/// <summary>An iptables command could not run or failed; the message names the command.</summary>
public sealed class IptablesException(string message) : Exception(message);
