using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Corral.Benchmarks.Live;

/// <summary>
/// A SignalR client reduced to what a load generator needs: one WebSocket speaking the hub's JSON protocol
/// (handshake, invocations, pings), straight to the hub without negotiation, as browsers and the .NET client do
/// when they know WebSockets work. It reads only jobUpdated's id and history (<see cref="JobUpdateReader"/>) and
/// allocates nothing per message. It does not wait on its socket itself: <see cref="LeanClientPoller"/> tells it when
/// bytes are there, and it reads them without blocking.
/// </summary>
/// <remarks>
/// Why it exists: in this benchmark the 1,000 clients run on the same two cores as the servers. The .NET
/// <c>HubConnection</c> spends 80-110 µs of CPU per received message (pipelines, dispatch, its own JSON reader) and a
/// <c>ClientWebSocket</c> with the same reader about 30 µs (an epoll wake-up, a thread-pool hop and a continuation
/// per message), as much as the gateway spends sending it, and on the same cores. Real clients sit on their users'
/// machines; this one lets the figure show the servers' share. The wire is the same: the gateway cannot tell the
/// difference.
/// </remarks>
public sealed class LeanHubClient : IDisposable
{
    private const byte RecordSeparator = 0x1e;
    private const string WebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static readonly byte[] HubHandshake = Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e");
    private static readonly byte[] HubPing = Encoding.UTF8.GetBytes("{\"type\":6}\u001e");
    private static readonly byte[] HeadersEnd = "\r\n\r\n"u8.ToArray();

    private readonly Socket _socket;
    private readonly Action<JobUpdateReader> _onJobUpdated;
    private readonly JobUpdateReader _reader = new();
    private readonly WireCounts _counts;
    private readonly Lock _sending = new();
    private byte[] _received = new byte[16 * 1024];
    private int _receivedLength;
    private byte[] _fragments = new byte[16 * 1024];
    private int _fragmentsLength;
    private bool _handshakeAnswered;

    private LeanHubClient(Socket socket, Action<JobUpdateReader> onJobUpdated, WireCounts counts)
    {
        _socket = socket;
        _onJobUpdated = onJobUpdated;
        _counts = counts;
    }

    /// <summary>The socket's file descriptor, for the poller to watch.</summary>
    public nint Descriptor => _socket.SafeHandle.DangerousGetHandle();

    /// <summary>
    /// Opens the WebSocket (the HTTP upgrade) and completes the hub's handshake, blocking; the socket is then left
    /// non-blocking for <see cref="ReadAvailable"/>.
    /// </summary>
    public static LeanHubClient Connect(Uri hub, string token, Action<JobUpdateReader> onJobUpdated, WireCounts counts)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Connect(hub.Host, hub.Port);
            var client = new LeanHubClient(socket, onJobUpdated, counts);
            client.Upgrade(hub, token);
            client.Send(WebSocketOpcode.Text, HubHandshake);
            while (!client._handshakeAnswered)
            {
                client.ReceiveBlocking();
                client.ReadFrames();
            }

            socket.Blocking = false;
            return client;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads what the socket holds without blocking and handles every whole frame in it. Throws when the connection
    /// ended or broke.
    /// </summary>
    public void ReadAvailable()
    {
        while (true)
        {
            var free = FreeSpace();
            var read = _socket.Receive(free, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                return;
            }

            if (error != SocketError.Success)
            {
                throw new SocketException((int)error);
            }

            if (read == 0)
            {
                throw new IOException("the hub closed the connection");
            }

            _receivedLength += read;
            ReadFrames();
            if (read < free.Length)
            {
                // The socket had less than there was room for: it is empty now, and the poller says when it is not.
                return;
            }
        }
    }

    /// <summary>Sends the hub protocol's ping, as the official clients do every 15 s: the hub drops a client it has not heard from for 30 s.</summary>
    public void Ping() => Send(WebSocketOpcode.Text, HubPing);

    /// <summary>Says goodbye (a close frame with "normal closure") and closes the socket.</summary>
    public void Dispose()
    {
        try
        {
            Send(WebSocketOpcode.Close, [0x03, 0xE8]);
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException)
        {
            // Already gone: nothing to close.
        }

        _socket.Dispose();
    }

    private void Upgrade(Uri hub, string token)
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var request = $"GET {hub.AbsolutePath}?access_token={Uri.EscapeDataString(token)} HTTP/1.1\r\n" +
                      $"Host: {hub.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                      $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
        _socket.Send(Encoding.ASCII.GetBytes(request));

        int end;
        while ((end = _received.AsSpan(0, _receivedLength).IndexOf(HeadersEnd)) < 0)
        {
            ReceiveBlocking();
        }

        var headers = Encoding.ASCII.GetString(_received, 0, end);
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + WebSocketGuid)));
        if (!headers.StartsWith("HTTP/1.1 101", StringComparison.Ordinal) ||
            !headers.Contains("Sec-WebSocket-Accept: " + accept, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException("the hub refused the WebSocket: " + headers.Split("\r\n")[0]);
        }

        // Frames may follow the headers in the same read.
        Consume(end + HeadersEnd.Length);
    }

    private void ReceiveBlocking()
    {
        var read = _socket.Receive(FreeSpace());
        _receivedLength += read > 0 ? read : throw new IOException("the hub closed the connection during the handshake");
    }

    /// <summary>The room after what was read so far; the buffer doubles when a frame fills it.</summary>
    private Span<byte> FreeSpace()
    {
        if (_receivedLength == _received.Length)
        {
            Array.Resize(ref _received, _received.Length * 2);
        }

        return _received.AsSpan(_receivedLength);
    }

    private void ReadFrames()
    {
        var offset = 0;
        while (WebSocketFraming.TryReadServerFrame(_received.AsSpan(offset, _receivedLength - offset), out var frame))
        {
            OnFrame(frame, _received.AsSpan(offset + frame.HeaderLength, frame.PayloadLength));
            offset += frame.Length;
        }

        Consume(offset);
    }

    private void OnFrame(ServerFrame frame, ReadOnlySpan<byte> payload)
    {
        switch (frame.Opcode)
        {
            case WebSocketOpcode.Text or WebSocketOpcode.Binary when frame.Final && _fragmentsLength == 0:
                OnMessage(payload);
                break;
            case WebSocketOpcode.Text or WebSocketOpcode.Binary or WebSocketOpcode.Continuation:
                // A message in pieces: the gateway sends a message whose bytes lie in several buffers that way.
                AppendFragment(payload);
                if (frame.Final)
                {
                    OnMessage(_fragments.AsSpan(0, _fragmentsLength));
                    _fragmentsLength = 0;
                }

                break;
            case WebSocketOpcode.Ping:
                Send(WebSocketOpcode.Pong, payload);
                break;
            case WebSocketOpcode.Close:
                throw new IOException("the hub closed the connection");
            default:
                // Pongs (the server's keep-alive) need no answer.
                break;
        }
    }

    private void OnMessage(ReadOnlySpan<byte> message)
    {
        if (_handshakeAnswered)
        {
            _counts.Frame();
        }

        var rest = message;
        while (rest.Length > 0)
        {
            var end = rest.IndexOf(RecordSeparator);
            var record = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            if (!_handshakeAnswered)
            {
                _handshakeAnswered = record.IndexOf("\"error\""u8) < 0
                    ? true
                    : throw new InvalidOperationException("hub handshake failed: " + Encoding.UTF8.GetString(record));
                continue;
            }

            _counts.Record();
            if (_reader.Read(record) == HubRecordKind.JobUpdated)
            {
                _onJobUpdated(_reader);
            }
        }
    }

    private void AppendFragment(ReadOnlySpan<byte> payload)
    {
        if (_fragmentsLength + payload.Length > _fragments.Length)
        {
            Array.Resize(ref _fragments, Math.Max(_fragments.Length * 2, _fragmentsLength + payload.Length));
        }

        payload.CopyTo(_fragments.AsSpan(_fragmentsLength));
        _fragmentsLength += payload.Length;
    }

    /// <summary>Drops the first <paramref name="count"/> bytes read, keeping the rest (a frame not yet whole) at the start.</summary>
    private void Consume(int count)
    {
        if (count == 0)
        {
            return;
        }

        _received.AsSpan(count, _receivedLength - count).CopyTo(_received);
        _receivedLength -= count;
    }

    /// <summary>Sends one frame whole: from the poller (a pong) and the keep-alive alike, never interleaved.</summary>
    private void Send(WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        var frame = WebSocketFraming.ClientFrame(opcode, payload);
        lock (_sending)
        {
            var sent = 0;
            while (sent < frame.Length)
            {
                var count = _socket.Send(frame.AsSpan(sent), SocketFlags.None, out var error);
                if (error == SocketError.WouldBlock)
                {
                    // The socket is non-blocking once connected; a full send buffer here is rare and brief.
                    Thread.Sleep(1);
                    continue;
                }

                sent += error == SocketError.Success ? count : throw new SocketException((int)error);
            }
        }
    }
}
