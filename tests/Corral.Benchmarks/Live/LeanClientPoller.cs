using System.Net.Sockets;

namespace Corral.Benchmarks.Live;

/// <summary>
/// Many <see cref="LeanHubClient"/>s served by one thread: it waits on an <see cref="Epoll"/> for sockets with bytes
/// and has each ready client read them, and a timer pings every client every 15 s.
/// </summary>
/// <remarks>
/// One thread, not one receive loop per client: a fan-out sends each client one frame, and handling it costs a
/// few µs of reading and parsing here, where an awaited receive per client added a wake-up, a thread-pool hop and
/// a continuation per frame (about 30 µs), on the cores the servers being measured need.
/// </remarks>
public sealed class LeanClientPoller : IAsyncDisposable
{
    private const int WaitTimeoutMs = 200;
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);

    private readonly Epoll _epoll = new(maxEventsPerWait: 256);
    private readonly LeanHubClient?[] _clients;
    private readonly bool[] _lost;
    private readonly WireCounts _counts;
    private readonly CancellationTokenSource _closing = new();
    private readonly Thread _polling;
    private readonly Task _keepingAlive;

    private LeanClientPoller(int capacity, WireCounts counts)
    {
        _clients = new LeanHubClient?[capacity];
        _lost = new bool[capacity];
        _counts = counts;
        _polling = new Thread(Poll) { IsBackground = true, Name = "lean hub clients" };
        _polling.Start();
        _keepingAlive = KeepAliveAsync();
    }

    /// <summary>
    /// Connects <paramref name="clients"/> clients of one user, a few at a time; <paramref name="onJobUpdated"/> makes
    /// each client's handler (called on the polling thread, one event at a time).
    /// </summary>
    public static async Task<LeanClientPoller> ConnectAsync(
        Uri hub, string token, int clients, Func<Action<JobUpdateReader>> onJobUpdated, WireCounts counts, CancellationToken cancellationToken)
    {
        var poller = new LeanClientPoller(clients, counts);
        try
        {
            // Eight at a time: a thousand handshakes at once would time out on a small machine.
            var options = new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken };
            await Task.Run(() => Parallel.For(0, clients, options, i => poller.Add(i, LeanHubClient.Connect(hub, token, onJobUpdated(), counts))), cancellationToken);
            return poller;
        }
        catch
        {
            await poller.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        _polling.Join();
        await _keepingAlive;
        foreach (var client in _clients)
        {
            client?.Dispose();
        }

        _epoll.Dispose();
        _closing.Dispose();
    }

    private void Add(int slot, LeanHubClient client)
    {
        // Published before the socket is watched: the polling thread looks the slot up as soon as bytes come.
        Volatile.Write(ref _clients[slot], client);
        _epoll.Add(client.Descriptor, slot);
    }

    private void Poll()
    {
        var ready = new int[256];
        while (!_closing.IsCancellationRequested)
        {
            var count = _epoll.Wait(ready, WaitTimeoutMs);
            for (var i = 0; i < count; i++)
            {
                var slot = ready[i];
                if (Volatile.Read(ref _clients[slot]) is { } client && !_lost[slot])
                {
                    Read(slot, client);
                }
            }
        }
    }

    private void Read(int slot, LeanHubClient client)
    {
        try
        {
            client.ReadAvailable();
        }
        catch (Exception error) when (!_closing.IsCancellationRequested)
        {
            // A client that stops reading misses every later event: the round reports it rather than hiding it.
            _lost[slot] = true;
            _epoll.Remove(client.Descriptor);
            _counts.Lost(error);
        }
    }

    private async Task KeepAliveAsync()
    {
        using var timer = new PeriodicTimer(KeepAliveInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_closing.Token))
            {
                PingAll();
            }
        }
        catch (OperationCanceledException)
        {
            // Closing.
        }
    }

    private void PingAll()
    {
        for (var slot = 0; slot < _clients.Length; slot++)
        {
            if (Volatile.Read(ref _clients[slot]) is not { } client || Volatile.Read(ref _lost[slot]))
            {
                continue;
            }

            try
            {
                client.Ping();
            }
            catch (SocketException)
            {
                // A broken socket: the polling thread notices it too, and counts the client lost there, once.
            }
        }
    }
}
