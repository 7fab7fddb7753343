using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR.Client;

namespace Corral.Benchmarks.Live;

/// <summary>
/// Latency from a job's state change in its grain (the time its history records) to the jobUpdated event at a
/// SignalR client over a real WebSocket, with 1 and with 1,000 connected clients of one user, and the fan-out rate.
/// Jobs are submitted and cancelled at once, so they end while queued, pending, starting or running: every step of
/// the path from grain to browser is driven, and the containers that did start are stopped.
/// </summary>
public sealed class LiveSuite : IBenchmarkSuite
{
    /// <summary>Jobs of the fan-out burst: every event of each goes to every client at once.</summary>
    private const int BurstJobs = 40;

    /// <summary>Jobs of a latency round, one at a time, so events arrive well below the fan-out capacity.</summary>
    private const int PacedJobs = 10;

    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(500);

    public string Name => "live";

    public string Description => "SignalR event latency (grain change to client) with 1 and 1,000 clients, and fan-out rate";

    public async Task RunAsync(BenchmarkReport report, CancellationToken cancellationToken)
    {
        await using var database = await BenchmarkDatabase.CreateAsync("live");
        await using var system = await LiveProcesses.StartAsync(database, new Dictionary<string, string>
        {
            ["SERVICE_LIVE_RUNS_PER_USER"] = "100000",
        });
        report.Note("silo and gateway up");
        foreach (var clients in new[] { 1, 1000 })
        {
            var paced = await RunRoundAsync(system, clients, PacedJobs, Pace, report, cancellationToken);
            var suffix = clients == 1 ? "1_client" : $"{clients}_clients";
            report.Figure($"signalr.p50_ms_{suffix}", Measure.Percentile(paced.LatenciesMs, 0.50));
            report.Figure($"signalr.p99_ms_{suffix}", Measure.Percentile(paced.LatenciesMs, 0.99));
        }

        // Fan-out capacity: a burst of events, each delivered to 1,000 clients, as fast as the gateway can.
        var burst = await RunRoundAsync(system, 1000, BurstJobs, TimeSpan.Zero, report, cancellationToken);
        report.Figure("signalr.msgs_per_s", burst.MessagesPerSecond);
        report.Figure("signalr.burst_deliveries", burst.Deliveries);
        report.Figure("signalr.burst_p99_ms", Measure.Percentile(burst.LatenciesMs, 0.99));

        // Azure SignalR Service rates one unit at 2,000 outbound messages/s across 1,000 connections.
        report.Figure("anchor.azure_signalr_unit_msgs_per_s", 2000);
    }

    private static async Task<Round> RunRoundAsync(
        LiveProcesses system, int clients, int jobs, TimeSpan pace, BenchmarkReport report, CancellationToken cancellationToken)
    {
        var token = await system.CreateUserAsync($"live{clients}u{Guid.NewGuid().ToString("N")[..6]}");
        var latencies = new ConcurrentBag<double>();
        var deliveries = 0L;
        var lastDelivery = 0L;
        var cancelledSeen = 0;
        var connections = new List<HubConnection>();
        try
        {
            for (var batch = 0; batch < clients; batch += 50)
            {
                var opened = Enumerable.Range(batch, Math.Min(50, clients - batch)).Select(async _ =>
                {
                    var connection = new HubConnectionBuilder()
                        .WithUrl(new Uri(system.Address, "/hubs/jobs"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
                        .Build();
                    var seenSteps = new Dictionary<string, int>(StringComparer.Ordinal);
                    connection.On<JsonObject>("jobUpdated", job =>
                    {
                        var now = DateTimeOffset.UtcNow;
                        Interlocked.Increment(ref deliveries);
                        Interlocked.Exchange(ref lastDelivery, Stopwatch.GetTimestamp());
                        var history = job["history"]!.AsArray();
                        var id = job["id"]!.GetValue<string>();
                        lock (seenSteps)
                        {
                            // Only events that carry a new step: their last history entry is the change measured.
                            if (seenSteps.TryGetValue(id, out var seen) && seen >= history.Count)
                            {
                                return;
                            }

                            seenSteps[id] = history.Count;
                        }

                        var changedAt = history[^1]!["at"]!.GetValue<DateTimeOffset>();
                        latencies.Add((now - changedAt).TotalMilliseconds);
                        if (job["status"]!.GetValue<string>() == "cancelled")
                        {
                            Interlocked.Increment(ref cancelledSeen);
                        }
                    });
                    await connection.StartAsync(cancellationToken);
                    return connection;
                });
                connections.AddRange(await Task.WhenAll(opened));
            }

            report.Note($"{clients} client(s) connected");
            using var http = system.Client(token);
            var started = Stopwatch.GetTimestamp();
            async Task<string> SubmitAsync()
            {
                var response = await http.PostAsJsonAsync("/api/jobs", new { service = "live", command = new[] { "sleep", "600" }, resources = new { cpu = 0.01, memory = "16Mi" } }, cancellationToken);
                response.EnsureSuccessStatusCode();
                return (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!["id"]!.GetValue<string>();
            }

            if (pace == TimeSpan.Zero)
            {
                var ids = await Task.WhenAll(Enumerable.Range(0, jobs).Select(_ => SubmitAsync()));
                await Task.WhenAll(ids.Select(id => http.PostAsync($"/api/jobs/{id}/cancel", null, cancellationToken)));
            }
            else
            {
                for (var i = 0; i < jobs; i++)
                {
                    var id = await SubmitAsync();
                    await Task.Delay(pace, cancellationToken);
                    await http.PostAsync($"/api/jobs/{id}/cancel", null, cancellationToken);
                    await Task.Delay(pace, cancellationToken);
                }
            }

            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (Volatile.Read(ref cancelledSeen) < jobs * clients && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken);
            }

            var seconds = Stopwatch.GetElapsedTime(started, Interlocked.Read(ref lastDelivery)).TotalSeconds;
            var sorted = latencies.Order().ToList();
            return new Round(sorted, Interlocked.Read(ref deliveries), Interlocked.Read(ref deliveries) / Math.Max(seconds, 1e-3));
        }
        finally
        {
            await Task.WhenAll(connections.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    private sealed record Round(List<double> LatenciesMs, long Deliveries, double MessagesPerSecond);
}
