using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace Corral.Benchmarks.Live;

/// <summary>
/// A SignalR client reduced to what a load generator needs: one WebSocket speaking the hub's JSON protocol
/// (handshake, invocations, pings), straight to the hub without negotiation, as browsers and the .NET client do
/// when they know WebSockets work. It reads only jobUpdated's id and history (<see cref="JobUpdateReader"/>), and
/// allocates nothing per message.
/// </summary>
/// <remarks>
/// Why it exists: in this benchmark the 1,000 clients run on the same two cores as the servers, and the .NET
/// <c>HubConnection</c> spends 80-110 µs of CPU per received message (pipelines, dispatch, its own JSON reader), more
/// than the gateway spends sending it. Real clients sit on their users' machines; this one lets the figure show the
/// servers' share. The wire is the same: the gateway cannot tell the difference.
/// </remarks>
public sealed class LeanHubClient : IAsyncDisposable
{
    private const byte RecordSeparator = 0x1e;
    private static readonly byte[] Handshake = Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e");
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);
    private static readonly byte[] Ping = Encoding.UTF8.GetBytes("{\"type\":6}\u001e");

    private readonly ClientWebSocket _socket = new();
    private readonly Action<JobUpdateReader> _onJobUpdated;
    private readonly JobUpdateReader _reader = new();
    private readonly WireCounts _counts;
    private readonly CancellationTokenSource _closing = new();
    private Task _receiving = Task.CompletedTask;
    private Task _keepingAlive = Task.CompletedTask;

    private LeanHubClient(Action<JobUpdateReader> onJobUpdated, WireCounts counts)
    {
        _onJobUpdated = onJobUpdated;
        _counts = counts;
    }

    public static async Task<LeanHubClient> ConnectAsync(Uri hub, string token, Action<JobUpdateReader> onJobUpdated, WireCounts counts, CancellationToken cancellationToken)
    {
        var client = new LeanHubClient(onJobUpdated, counts);
        var scheme = hub.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        var address = new UriBuilder(hub) { Scheme = scheme, Query = "access_token=" + Uri.EscapeDataString(token) }.Uri;
        await client._socket.ConnectAsync(address, cancellationToken);
        await client._socket.SendAsync(Handshake, WebSocketMessageType.Text, true, cancellationToken);
        var buffer = new MessageBuffer();
        var answer = await buffer.ReceiveAsync(client._socket, cancellationToken);
        if (answer.Length < 2 || answer.Span[0] != (byte)'{' || answer.Span.IndexOf("\"error\""u8) >= 0)
        {
            throw new InvalidOperationException("hub handshake failed: " + Encoding.UTF8.GetString(answer.Span));
        }

        client._receiving = client.ReceiveLoopAsync(buffer);
        client._keepingAlive = client.KeepAliveAsync();
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        // One send at a time on a WebSocket: the last ping is done before the close goes out.
        await _keepingAlive.ContinueWith(_ => { }, TaskScheduler.Default);
        try
        {
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
        catch (WebSocketException)
        {
            // Already gone: nothing to close.
        }

        await _receiving.ContinueWith(_ => { }, TaskScheduler.Default);
        _socket.Dispose();
        _closing.Dispose();
    }

    private async Task ReceiveLoopAsync(MessageBuffer buffer)
    {
        try
        {
            await ReceiveAllAsync(buffer);
        }
        catch (Exception error) when (!_closing.IsCancellationRequested)
        {
            // A client that stops reading misses every later event: the round reports it rather than hiding it.
            _counts.Lost(error);
        }
    }

    private async Task ReceiveAllAsync(MessageBuffer buffer)
    {
        while (!_closing.IsCancellationRequested && _socket.State == WebSocketState.Open)
        {
            var message = await buffer.ReceiveAsync(_socket, _closing.Token);
            _counts.Frame();
            var rest = message;
            while (rest.Length > 0)
            {
                var end = rest.Span.IndexOf(RecordSeparator);
                var record = end < 0 ? rest : rest[..end];
                rest = end < 0 ? ReadOnlyMemory<byte>.Empty : rest[(end + 1)..];
                _counts.Record();
                if (_reader.Read(record.Span) == HubRecordKind.JobUpdated)
                {
                    _onJobUpdated(_reader);
                }
            }
        }
    }

    /// <summary>
    /// Pings the hub every 15 s, as the official clients do: the hub drops a client it has not heard from for 30 s,
    /// whatever it sends itself. (Answering only the hub's pings was not enough: now and then one client was dropped.)
    /// </summary>
    private async Task KeepAliveAsync()
    {
        using var timer = new PeriodicTimer(KeepAliveInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_closing.Token))
            {
                await _socket.SendAsync(Ping, WebSocketMessageType.Text, true, _closing.Token);
            }
        }
        catch (Exception error) when (!_closing.IsCancellationRequested)
        {
            _counts.Lost(error);
        }
        catch (OperationCanceledException)
        {
            // Closing.
        }
    }

    /// <summary>WebSocket messages (frames) and hub records received by a fleet of lean clients: several records share a frame when they were waiting together.</summary>
    public sealed class WireCounts
    {
        private long _frames;
        private long _records;
        private long _lost;
        private string? _firstLoss;

        public long Frames => Interlocked.Read(ref _frames);

        public long Records => Interlocked.Read(ref _records);

        /// <summary>Clients whose connection ended or failed before the fleet closed them.</summary>
        public long LostClients => Interlocked.Read(ref _lost);

        /// <summary>Why the first of them was lost.</summary>
        public string? FirstLoss => _firstLoss;

        public void Frame() => Interlocked.Increment(ref _frames);

        public void Lost(Exception error)
        {
            Interlocked.Increment(ref _lost);
            Interlocked.CompareExchange(ref _firstLoss, $"{error.GetType().Name}: {error.Message}", null);
        }

        public void Record() => Interlocked.Increment(ref _records);

        public void Reset()
        {
            Interlocked.Exchange(ref _frames, 0);
            Interlocked.Exchange(ref _records, 0);
        }
    }

    /// <summary>Collects one whole WebSocket message (it may span several receives), reusing one growing buffer.</summary>
    private sealed class MessageBuffer
    {
        private byte[] _bytes = new byte[16 * 1024];

        /// <remarks>Pooled: a plain async method would allocate its state machine for every message not yet there.</remarks>
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        public async ValueTask<ReadOnlyMemory<byte>> ReceiveAsync(WebSocket socket, CancellationToken cancellationToken)
        {
            var length = 0;
            while (true)
            {
                if (length == _bytes.Length)
                {
                    Array.Resize(ref _bytes, _bytes.Length * 2);
                }

                var result = await socket.ReceiveAsync(_bytes.AsMemory(length), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    throw new OperationCanceledException("the hub closed the connection");
                }

                length += result.Count;
                if (result.EndOfMessage)
                {
                    return _bytes.AsMemory(0, length);
                }
            }
        }
    }
}
