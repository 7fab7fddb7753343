using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
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
public sealed partial class ExternalTestHost : IAsyncDisposable
{
    private const int CloneNewNet = 0x40000000;

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
        var block = await FreeBlockAsync();
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
    public TcpSink Listen(int port)
    {
        Socket? listener = null;
        Exception? failure = null;
        // A thread of its own enters the namespace (network namespaces are per thread), opens the socket there and
        // ends; the socket stays in the namespace it was made in.
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{Namespace}");
                if (SetNamespace((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns({Namespace}) failed: errno {Marshal.GetLastPInvokeError()}");
                }

                var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
                socket.Bind(new IPEndPoint(IPAddress.IPv6Any, port));
                socket.Listen();
                listener = socket;
            }
            catch (Exception error)
            {
                failure = error;
            }
        });
        thread.Start();
        thread.Join();
        return failure is null ? new TcpSink(listener!) : throw new InvalidOperationException("cannot listen in the test namespace", failure);
    }

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

    /// <summary>A /29 of 198.51.100.0/24 that no address or route on this machine overlaps.</summary>
    private static async Task<int> FreeBlockAsync()
    {
        var used = (await IpAsync(check: true, "-4", "route", "show", "table", "all")) + (await IpAsync(check: true, "-4", "-o", "addr", "show"));
        var taken = used.Split((char[])['\n', ' '], StringSplitOptions.RemoveEmptyEntries)
            .Select(word => IPNetwork.TryParse(word, out var n) ? n : IPAddress.TryParse(word, out var a) ? new IPNetwork(a, 32) : (IPNetwork?)null)
            .OfType<IPNetwork>()
            .Where(n => n.PrefixLength > 0)
            .ToList();
        foreach (var block in Enumerable.Range(1, 30).OrderBy(_ => Random.Shared.Next()))
        {
            var candidate = IPNetwork.Parse($"198.51.100.{block * 8}/29");
            if (!taken.Any(t => t.Contains(candidate.BaseAddress) || candidate.Contains(t.BaseAddress)))
            {
                return block;
            }
        }

        throw new InvalidOperationException("no free /29 left in 198.51.100.0/24");
    }

    private static string Offset(string network, int host)
    {
        var bytes = IPAddress.Parse(network).GetAddressBytes();
        bytes[3] += (byte)host;
        return new IPAddress(bytes).ToString();
    }

    private static async Task<string> IpAsync(bool check, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("ip", arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed: {error}");
        }

        return output;
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNamespace(int fd, int nsType);
}
