using System.Net;
using System.Net.Sockets;

namespace Corral.Tests.EndToEnd;

/// <summary>
/// Ports for the servers a test starts, which bind them seconds later. Taken below the kernel's ephemeral range
/// (32768-60999): a port that the kernel handed out for port 0 and was then closed may be handed out again to the next
/// outgoing connection (a database pool's, an HTTP client's) before the server binds it, and the server then cannot
/// start. One process hands out each port once; another test process probes from its own random start.
/// </summary>
public static class TestPorts
{
    private const int First = 20_000;
    private const int Count = 10_000;

    private static int _next = Random.Shared.Next(Count);

    /// <summary>A port no one listens on now, never handed out before by this process.</summary>
    public static int Next()
    {
        for (var tried = 0; tried < Count; tried++)
        {
            var port = First + (Interlocked.Increment(ref _next) % Count);
            if (IsFree(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"no free port between {First} and {First + Count - 1}");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
