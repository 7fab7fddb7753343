using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Corral.Tests.Fleet;

/// <summary>
/// Forwards every TCP connection it accepts on one endpoint to another, both ways: the test PostgreSQL listens on
/// 127.0.0.1 only, which a worker host in its own network namespace cannot reach, so it gets this port on the veth.
/// </summary>
public sealed class TcpForwarder : IDisposable
{
    private readonly Socket _listener;
    private readonly IPEndPoint _target;
    private readonly ConcurrentBag<Socket> _sockets = [];

    public TcpForwarder(IPEndPoint listen, IPEndPoint target)
    {
        _target = target;
        _listener = new Socket(listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        // A forwarder closed and opened again on its port (a database "restart" in a test) must be able to bind it.
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(listen);
        _listener.Listen();
        Endpoint = (IPEndPoint)_listener.LocalEndPoint!;
        _ = AcceptAsync();
    }

    public IPEndPoint Endpoint { get; }

    public void Dispose()
    {
        _listener.Dispose();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var incoming = await _listener.AcceptAsync();
                _sockets.Add(incoming);
                _ = ForwardAsync(incoming);
            }
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException)
        {
            // Disposed.
        }
    }

    private async Task ForwardAsync(Socket incoming)
    {
        var outgoing = new Socket(_target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _sockets.Add(outgoing);
        try
        {
            await outgoing.ConnectAsync(_target);
            await using var a = new NetworkStream(incoming, ownsSocket: false);
            await using var b = new NetworkStream(outgoing, ownsSocket: false);
            // Either side closing ends the pair: PostgreSQL sessions are request/response, nothing is half-closed.
            await Task.WhenAny(a.CopyToAsync(b), b.CopyToAsync(a));
        }
        catch (Exception error) when (error is SocketException or IOException or ObjectDisposedException)
        {
            // One side went away.
        }
        finally
        {
            incoming.Dispose();
            outgoing.Dispose();
        }
    }
}
