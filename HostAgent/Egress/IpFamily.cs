using System.Net;
using System.Net.Sockets;

namespace Corral.HostAgent.Egress;

/// <summary>An address family, and so a firewall: IPv4 is <c>iptables</c>, IPv6 is <c>ip6tables</c>.</summary>
public enum IpFamily
{
    V4,
    V6,
}

public static class IpFamilies
{
    public static IReadOnlyList<IpFamily> All { get; } = [IpFamily.V4, IpFamily.V6];

    public static IpFamily Of(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? IpFamily.V6 : IpFamily.V4;

    public static IpFamily Of(IPNetwork network) => Of(network.BaseAddress);

    /// <summary>The command that manages this family's rules.</summary>
    public static string Command(this IpFamily family) => family == IpFamily.V6 ? "ip6tables" : "iptables";
}
