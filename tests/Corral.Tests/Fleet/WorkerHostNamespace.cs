using System.Net;
using System.Security.Cryptography;
using Corral.Tests.Egress;

namespace Corral.Tests.Fleet;

/// <summary>
/// A second "host" on this machine: a network namespace joined to it by a veth pair with two addresses from a free
/// /29 of 198.51.100.0/24 (the documentation range; never this machine's 192.0.2.0/24 or the registries'
/// 203.0.113.0/24). <see cref="HostAddress"/> is this machine's end, <see cref="NamespaceAddress"/> the worker host's.
/// Both routes are checked to go through the veth before anything uses them; dispose removes the namespace and veth.
/// </summary>
public sealed class WorkerHostNamespace : IAsyncDisposable
{
    private WorkerHostNamespace(string name, string hostLink, int block)
    {
        Name = name;
        HostLink = hostLink;
        HostAddress = IPAddress.Parse($"198.51.100.{(block * 8) + 1}");
        NamespaceAddress = IPAddress.Parse($"198.51.100.{(block * 8) + 2}");
    }

    public string Name { get; }

    public string HostLink { get; }

    /// <summary>This machine's end of the veth: where the core silo, host A and the forwarders are reached from B.</summary>
    public IPAddress HostAddress { get; }

    /// <summary>Worker host B's address, the one its host agent advertises.</summary>
    public IPAddress NamespaceAddress { get; }

    public string Path => $"/var/run/netns/{Name}";

    public static async Task<WorkerHostNamespace> CreateAsync()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var host = new WorkerHostNamespace($"corral-fl-{id}", $"cfl{id}h", await TestNetworkNamespaces.FreeBlockAsync());
        try
        {
            await host.SetUpAsync($"cfl{id}n");
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>A TCP sink inside the namespace on <see cref="NamespaceAddress"/> that reads until EOF and counts.</summary>
    public TcpSink Listen(int port) => TestNetworkNamespaces.Listen(Name, new IPEndPoint(NamespaceAddress, port));

    /// <summary>Runs a command inside the namespace and returns its output; throws when it fails.</summary>
    public Task<string> ExecAsync(params string[] command) => RunCheckedAsync("ip", ["netns", "exec", Name, .. command]);

    public async ValueTask DisposeAsync()
    {
        // Deleting the namespace deletes its end of the veth, and with it the pair.
        await RunAsync(check: false, "ip", "netns", "del", Name);
        await RunAsync(check: false, "ip", "link", "del", HostLink);
    }

    internal static Task<string> RunCheckedAsync(string file, params string[] arguments) => TestNetworkNamespaces.RunAsync(check: true, file, arguments);

    private static Task<string> RunAsync(bool check, string file, params string[] arguments) => TestNetworkNamespaces.RunAsync(check, file, arguments);

    private async Task SetUpAsync(string peer)
    {
        await RunCheckedAsync("ip", "netns", "add", Name);
        await RunCheckedAsync("ip", "link", "add", HostLink, "type", "veth", "peer", "name", peer);
        await RunCheckedAsync("ip", "link", "set", peer, "netns", Name);
        await RunCheckedAsync("ip", "addr", "add", $"{HostAddress}/29", "dev", HostLink);
        await RunCheckedAsync("ip", "link", "set", HostLink, "up");
        await RunCheckedAsync("ip", "-n", Name, "addr", "add", $"{NamespaceAddress}/29", "dev", peer);
        await RunCheckedAsync("ip", "-n", Name, "link", "set", "lo", "up");
        await RunCheckedAsync("ip", "-n", Name, "link", "set", peer, "up");
        await RunCheckedAsync("ip", "-n", Name, "route", "add", "default", "via", HostAddress.ToString());

        // Not one byte goes anywhere else: each side must reach the other through our veth.
        var there = await RunCheckedAsync("ip", "route", "get", NamespaceAddress.ToString());
        var back = await RunCheckedAsync("ip", "-n", Name, "route", "get", HostAddress.ToString());
        if (!there.Contains($"dev {HostLink} ", StringComparison.Ordinal) || !back.Contains($"dev {peer} ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the veth {HostLink} does not carry the routes: {there} / {back}");
        }
    }
}
