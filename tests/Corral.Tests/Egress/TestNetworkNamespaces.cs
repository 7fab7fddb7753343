using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Corral.Tests.Egress;

/// <summary>
/// What the tests that build network namespaces share: running a command (`ip` above all), finding a /29 of
/// 198.51.100.0/24 that nothing on this machine uses, and opening a listening socket inside a namespace.
/// </summary>
public static partial class TestNetworkNamespaces
{
    private const int CloneNewNet = 0x40000000;

    /// <summary>Runs a command and returns its output; with <paramref name="check"/>, throws when it fails.</summary>
    public static async Task<string> RunAsync(bool check, string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error}");
        }

        return await output;
    }

    /// <summary>
    /// A /29 of 198.51.100.0/24 (as its index, 1-30: the block starts at 198.51.100.{8 × index}) that no address or
    /// route on this machine overlaps. The documentation range: never this machine's 192.0.2.0/24 or the registries'
    /// 203.0.113.0/24.
    /// </summary>
    public static async Task<int> FreeBlockAsync()
    {
        var used = await RunAsync(check: true, "ip", "-4", "route", "show", "table", "all") + await RunAsync(check: true, "ip", "-4", "-o", "addr", "show");
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

    /// <summary>
    /// A TCP sink listening inside namespace <paramref name="name"/> on <paramref name="endpoint"/> (an IPv6 "any"
    /// listens on both families), reading until EOF and counting.
    /// </summary>
    public static TcpSink Listen(string name, IPEndPoint endpoint)
    {
        Socket? listener = null;
        Exception? failure = null;
        // Network namespaces are per thread: a thread of its own enters it, opens the socket and ends; the socket
        // stays in the namespace it was made in.
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{name}");
                if (SetNamespace((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns({name}) failed: errno {Marshal.GetLastPInvokeError()}");
                }

                var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                if (endpoint.Address.Equals(IPAddress.IPv6Any))
                {
                    socket.DualMode = true;
                }

                socket.Bind(endpoint);
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
        return failure is null ? new TcpSink(listener!) : throw new InvalidOperationException($"cannot listen in {name}", failure);
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNamespace(int fd, int nsType);
}
