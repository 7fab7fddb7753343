using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Corral.Benchmarks.Live;

/// <summary>The wire format the fleet's clients ask the hub for.</summary>
public enum HubWire
{
    Json,
    MessagePack,

    /// <summary>JSON through <see cref="LeanHubClient"/> instead of the .NET <c>HubConnection</c>.</summary>
    LeanJson,
}

/// <summary>
/// One step of one job across the fleet: its latency at the first and at the last client, and when the last client
/// received it (a <see cref="Stopwatch"/> timestamp, for cutting a system-wide profile to the slowest fan-outs).
/// </summary>
public readonly record struct StepFanOut(string Status, double FirstMs, double LastMs, long LastReceivedAt);

/// <summary>
/// Many SignalR clients of one user over real WebSockets, each recording, for every jobUpdated that carries a new
/// step of a job, the time from that step (as the job's grain recorded it) to its own receipt.
/// </summary>
public sealed class ClientFleet : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _connections = [];
    private readonly ConcurrentDictionary<string, string> _jobIds = new(StringComparer.Ordinal);
    private readonly StepLatencies _latencies;
    private long _deliveries;
    private long _lastDelivery;
    private long _cancelled;

    private ClientFleet(int clients)
    {
        _latencies = new StepLatencies(clients);
    }

    /// <summary>Frames and hub records the lean clients received since the last <see cref="Reset"/>.</summary>
    public WireCounts Wire { get; } = new();

    /// <summary>Events delivered to any client since the last <see cref="Reset"/>, new step or not.</summary>
    public long Deliveries => Interlocked.Read(ref _deliveries);

    /// <summary>Deliveries of a job's cancelled step since the last <see cref="Reset"/>: one per job per client.</summary>
    public long CancelledSeen => Interlocked.Read(ref _cancelled);

    /// <summary>The <see cref="Stopwatch"/> timestamp of the latest delivery.</summary>
    public long LastDelivery => Interlocked.Read(ref _lastDelivery);

    public static async Task<ClientFleet> ConnectAsync(Uri hub, string token, int clients, HubWire wire, CancellationToken cancellationToken)
    {
        var fleet = new ClientFleet(clients);
        if (wire == HubWire.LeanJson)
        {
            fleet._connections.Add(await LeanClientPoller.ConnectAsync(hub, token, clients, fleet.LeanHandler, fleet.Wire, cancellationToken));
            return fleet;
        }

        // 50 at a time: a thousand handshakes at once would time out on a small machine.
        for (var batch = 0; batch < clients; batch += 50)
        {
            var opened = Enumerable.Range(batch, Math.Min(50, clients - batch))
                .Select(_ => fleet.OpenAsync(hub, token, wire, cancellationToken));
            fleet._connections.AddRange(await Task.WhenAll(opened));
        }

        return fleet;
    }

    /// <summary>Forgets what was recorded so far (the warm-up), keeping the connections.</summary>
    public void Reset()
    {
        _latencies.Clear();
        Interlocked.Exchange(ref _deliveries, 0);
        Interlocked.Exchange(ref _cancelled, 0);
        Wire.Reset();
    }

    /// <summary>The latencies recorded since the last <see cref="Reset"/>, in milliseconds, sorted.</summary>
    public List<double> SortedLatenciesMs() => [.. _latencies.All.Select(l => l.Ms).Order()];

    /// <summary>Steps received but not recorded because the fleet's room for them ran out (see <see cref="StepLatencies"/>).</summary>
    public long UnrecordedSteps => _latencies.Overflow;

    /// <summary>The same latencies by the step's status (queued, pending, starting, running, cancelled), each sorted.</summary>
    public Dictionary<string, List<double>> SortedLatenciesMsByStatus() => _latencies.All
        .GroupBy(l => l.Status.ToLowerInvariant(), StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Select(l => l.Ms).Order().ToList(), StringComparer.Ordinal);

    /// <summary>
    /// Each step's latency at its first and at its last client: the first is the cluster's part (grain to gateway,
    /// one frame out), the gap between them the fan-out's. Steps of one job are told apart by status.
    /// </summary>
    public List<StepFanOut> FirstAndLastByStep() => _latencies.All
        .GroupBy(l => (l.Job, Status: l.Status.ToLowerInvariant()))
        .Select(g => new StepFanOut(g.Key.Status, g.Min(l => l.Ms), g.Max(l => l.Ms), g.Max(l => l.ReceivedAt)))
        .ToList();

    public async ValueTask DisposeAsync() =>
        await Task.WhenAll(_connections.Select(c => c.DisposeAsync().AsTask()));

    private async Task<IAsyncDisposable> OpenAsync(Uri hub, string token, HubWire wire, CancellationToken cancellationToken)
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(hub, o => o.AccessTokenProvider = () => Task.FromResult<string?>(token));
        if (wire == HubWire.MessagePack)
        {
            builder.AddMessagePackProtocol();
        }
        else
        {
            builder.AddJsonProtocol(o => o.PayloadSerializerOptions.PropertyNameCaseInsensitive = true);
        }

        var connection = builder.Build();
        var steps = new JobSteps();
        connection.On<JobEvent>("jobUpdated", job => Record(job.Id, job.Steps(), steps));
        await connection.StartAsync(cancellationToken);
        return connection;
    }

    /// <summary>A new lean client's handler: it records the steps that client had not seen yet.</summary>
    private Action<JobUpdateReader> LeanHandler()
    {
        var seen = new JobSteps();
        return job => Record(JobId(job.JobId), job.History, seen);
    }

    /// <summary>The fleet's one string for a job id, so 1,000 clients reading it do not make 1,000 strings.</summary>
    private string JobId(ReadOnlySpan<char> id)
    {
        var lookup = _jobIds.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(id, out var known))
        {
            return known;
        }

        var text = id.ToString();
        return _jobIds.GetOrAdd(text, text);
    }

    private void Record(string jobId, ReadOnlySpan<WireStep> history, JobSteps steps)
    {
        var now = DateTimeOffset.UtcNow;
        var receivedAt = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _deliveries);
        Interlocked.Exchange(ref _lastDelivery, receivedAt);
        // Counter-only updates repeat steps already measured; the snapshot on connect repeats old ones. A view
        // can also bring several new steps at once (one that went out before the previous one): each is measured
        // from its own time, so a step this client learned of late counts as late.
        var seen = steps.MarkSeen(jobId, history.Length);
        for (var i = seen; i < history.Length; i++)
        {
            var step = history[i];
            _latencies.Add(jobId, step.Status, (now - step.At).TotalMilliseconds, receivedAt);
            if (string.Equals(step.Status, JobEvent.Cancelled, StringComparison.OrdinalIgnoreCase))
            {
                Interlocked.Increment(ref _cancelled);
            }
        }
    }

    /// <summary>How many steps of each job one client has seen; the client's events arrive one at a time.</summary>
    private sealed class JobSteps
    {
        private readonly Dictionary<string, int> _seen = new(StringComparer.Ordinal);

        /// <summary>Records that the job has <paramref name="steps"/> steps; returns how many were seen before.</summary>
        public int MarkSeen(string jobId, int steps)
        {
            var seen = _seen.GetValueOrDefault(jobId);
            if (steps > seen)
            {
                _seen[jobId] = steps;
            }

            return seen;
        }
    }
}
