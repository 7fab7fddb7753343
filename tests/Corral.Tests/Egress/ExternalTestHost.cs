using System.Net;
using System.Security.Cryptography;

namespace Corral.Tests.Egress;

/// <summary>
/// An "external" host for egress tests: a network namespace joined to this machine by a veth pair, with addresses
/// from the documentation ranges (a free /29 of 198.51.100.0/24, a /64 of 2001:db8::/32). Job containers reach it
/// through FORWARD, exactly like the internet. Each family has three addresses: one metered, one that the system
/// under test lists as excluded and allowed (a private network an operator opened to jobs), and one it lists as
/// excluded only (a private network jobs must not reach). Every route is checked to go through the veth before a byte is sent, and the
/// namespace (with its veth) is removed on dispose.
/// </summary>
public sealed class ExternalTestHost : IAsyncDisposable
{
    private ExternalTestHost(string name, string hostLink, int block, string v6Prefix)
    {
        Namespace = name;
        HostLink = hostLink;
        var v4 = $"198.51.100.{block * 8}";
        HostV4 = IPAddress.Parse(Offset(v4, 1));
        MeteredV4 = IPAddress.Parse(Offset(v4, 2));
        ExcludedV4 = IPAddress.Parse(Offset(v4, 3));
        PrivateV4 = IPAddress.Parse(Offset(v4, 4));
        HostV6 = IPAddress.Parse(v6Prefix + "1");
        MeteredV6 = IPAddress.Parse(v6Prefix + "2");
        ExcludedV6 = IPAddress.Parse(v6Prefix + "3");
        PrivateV6 = IPAddress.Parse(v6Prefix + "4");
    }

    public string Namespace { get; }

    public string HostLink { get; }

    public IPAddress HostV4 { get; }

    public IPAddress MeteredV4 { get; }

    public IPAddress ExcludedV4 { get; }

    /// <summary>Excluded and not allowed: a private network that jobs must not reach.</summary>
    public IPAddress PrivateV4 { get; }

    public IPAddress HostV6 { get; }

    public IPAddress MeteredV6 { get; }

    public IPAddress ExcludedV6 { get; }

    public IPAddress PrivateV6 { get; }

    public static async Task<ExternalTestHost> CreateAsync()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var block = await TestNetworkNamespaces.FreeBlockAsync();
        var host = new ExternalTestHost($"corral-eg-{id}", $"ceg{id}h", block, $"2001:db8:100:{id[..4]}::");
        try
        {
            await host.SetUpAsync($"ceg{id}n");
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>A TCP sink inside the namespace, on every address of both families, that reads until EOF and counts.</summary>
    public TcpSink Listen(int port) => TestNetworkNamespaces.Listen(Namespace, new IPEndPoint(IPAddress.IPv6Any, port));

    public async ValueTask DisposeAsync()
    {
        // Deleting the namespace deletes its end of the veth, and with it the pair.
        await IpAsync(check: false, "netns", "del", Namespace);
        await IpAsync(check: false, "link", "del", HostLink);
    }

    private async Task SetUpAsync(string peer)
    {
        await IpAsync(check: true, "netns", "add", Namespace);
        await IpAsync(check: true, "link", "add", HostLink, "type", "veth", "peer", "name", peer);
        await IpAsync(check: true, "link", "set", peer, "netns", Namespace);
        await IpAsync(check: true, "addr", "add", $"{HostV4}/29", "dev", HostLink);
        await IpAsync(check: true, "-6", "addr", "add", $"{HostV6}/64", "dev", HostLink, "nodad");
        await IpAsync(check: true, "link", "set", HostLink, "up");
        foreach (var address in new[] { $"{MeteredV4}/29", $"{ExcludedV4}/29", $"{PrivateV4}/29" })
        {
            await IpAsync(check: true, "-n", Namespace, "addr", "add", address, "dev", peer);
        }

        foreach (var address in new[] { $"{MeteredV6}/64", $"{ExcludedV6}/64", $"{PrivateV6}/64" })
        {
            await IpAsync(check: true, "-n", Namespace, "-6", "addr", "add", address, "dev", peer, "nodad");
        }

        await IpAsync(check: true, "-n", Namespace, "link", "set", "lo", "up");
        await IpAsync(check: true, "-n", Namespace, "link", "set", peer, "up");
        await IpAsync(check: true, "-n", Namespace, "route", "add", "default", "via", HostV4.ToString());
        await IpAsync(check: true, "-n", Namespace, "-6", "route", "add", "default", "via", HostV6.ToString());

        // Not one byte goes anywhere else: every test address must route through our veth.
        foreach (var address in new[] { MeteredV4, ExcludedV4, PrivateV4, MeteredV6, ExcludedV6, PrivateV6 })
        {
            var route = await IpAsync(check: true, "route", "get", address.ToString());
            if (!route.Contains($"dev {HostLink} ", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{address} does not route through {HostLink}: {route}");
            }
        }
    }

    private static string Offset(string network, int host)
    {
        var bytes = IPAddress.Parse(network).GetAddressBytes();
        bytes[3] += (byte)host;
        return new IPAddress(bytes).ToString();
    }

    private static Task<string> IpAsync(bool check, params string[] arguments) => TestNetworkNamespaces.RunAsync(check, "ip", arguments);
}
