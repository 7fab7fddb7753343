using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR.Client;

namespace Corral.Benchmarks.Faults;

/// <summary>
/// One browser's live view: a SignalR client of /hubs/jobs on one gateway that, when its connection closes (that
/// gateway died), connects to the other, as a balancer would send it. Keeps the newest view of every job it was sent,
/// as the web page does (a view with fewer history steps than the one it has is a late duplicate).
/// </summary>
public sealed class LiveWatcher(FaultCluster cluster, LoadUser user) : IAsyncDisposable
{
    private static readonly TimeSpan ConnectFor = TimeSpan.FromMinutes(3);

    private readonly ConcurrentDictionary<string, JsonObject> _jobs = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _closing = new();
    private HubConnection? _connection;
    private int _failovers;
    private volatile bool _connected;

    public LoadUser User { get; } = user;

    public int Gateway { get; private set; }

    /// <summary>Whether it has a connection now (false from the moment its gateway went until it has the other).</summary>
    public bool Connected => _connected;

    /// <summary>Times it lost its gateway and connected to the other.</summary>
    public int Failovers => Volatile.Read(ref _failovers);

    /// <summary>When it was last connected again after losing its gateway.</summary>
    public DateTime? ReconnectedAt { get; private set; }

    /// <summary>The last status this client shows for <paramref name="jobId"/>, null when it was never sent the job.</summary>
    public string? StatusOf(string jobId) => _jobs.TryGetValue(jobId, out var job) ? job["status"]!.GetValue<string>() : null;

    public async Task ConnectAsync(int gateway)
    {
        Gateway = gateway;
        var deadline = DateTime.UtcNow + ConnectFor;
        while (true)
        {
            var connection = Build(cluster.Gateways[Gateway]);
            try
            {
                await connection.StartAsync(_closing.Token);
                _connection = connection;
                _connected = true;
                connection.Closed += _ => FailOverAsync();
                return;
            }
            catch (Exception error) when (error is not OperationCanceledException && DateTime.UtcNow < deadline)
            {
                await connection.DisposeAsync();
                // That gateway is not there (yet): try the other one, as a balancer's health check would.
                Gateway = (Gateway + 1) % FaultCluster.GatewayCount;
                await Task.Delay(TimeSpan.FromSeconds(1), _closing.Token);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        if (_connection is { } connection)
        {
            await connection.DisposeAsync();
        }

        _closing.Dispose();
    }

    private async Task FailOverAsync()
    {
        _connected = false;
        if (_closing.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await ConnectAsync((Gateway + 1) % FaultCluster.GatewayCount);
            ReconnectedAt = DateTime.UtcNow;
            Interlocked.Increment(ref _failovers);
        }
        catch (OperationCanceledException)
        {
            // Disposed while failing over.
        }
    }

    private HubConnection Build(Uri gateway)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(gateway, "/hubs/jobs"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(User.Token))
            .Build();
        connection.On<JsonObject>("jobUpdated", Keep);
        return connection;
    }

    private void Keep(JsonObject job)
    {
        var id = job["id"]!.GetValue<string>();
        _jobs.AddOrUpdate(id, job, (_, known) => Steps(known) > Steps(job) ? known : job);
    }

    private static int Steps(JsonObject job) => job["history"]!.AsArray().Count;
}
