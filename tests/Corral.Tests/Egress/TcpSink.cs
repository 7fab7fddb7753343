using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Corral.Tests.Egress;

/// <summary>A TCP server that accepts any number of connections and reads each until EOF, counting every byte.</summary>
public sealed class TcpSink : IDisposable
{
    private readonly Socket _listener;
    private readonly ConcurrentBag<Socket> _connections = [];
    private long _received;

    public TcpSink(Socket listener)
    {
        _listener = listener;
        _ = AcceptAsync();
    }

    public long Received => Interlocked.Read(ref _received);

    /// <summary>Waits until <paramref name="done"/> holds for the byte count, or fails with the count.</summary>
    public async Task WaitForAsync(Func<long, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done(Received))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the sink received {Received} bytes");
            }

            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var connection = await _listener.AcceptAsync();
                _connections.Add(connection);
                _ = DrainAsync(connection);
            }
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException)
        {
            // Disposed.
        }
    }

    private async Task DrainAsync(Socket connection)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await connection.ReceiveAsync(buffer)) > 0)
            {
                Interlocked.Add(ref _received, read);
            }

            // The sender half-closed after its last byte and waits for us to close too.
            connection.Shutdown(SocketShutdown.Both);
            connection.Close();
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException)
        {
            // A sender killed mid-stream, or the sink disposed.
        }
    }
}
