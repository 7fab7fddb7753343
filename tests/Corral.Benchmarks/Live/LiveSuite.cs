using System.Diagnostics;
using System.Net.Http.Json;
using System.Runtime;
using System.Text.Json.Nodes;

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
    private const int PacedJobs = 40;

    /// <summary>
    /// Paced jobs run before each measured round and not counted: the first events through freshly connected clients
    /// and not yet optimized code (tiered compilation) would otherwise be a round's slowest percent.
    /// </summary>
    private const int WarmupJobs = 5;

    /// <summary>How many of a lean round's slowest fan-outs it names, with their time windows.</summary>
    private const int SlowestStepsNoted = 6;

    /// <summary>What the clients' process may allocate during a lean round without a collection.</summary>
    private const long NoGcBudgetBytes = 200L * 1024 * 1024;

    /// <summary>From a paced job's submission to its cancel.</summary>
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// From a paced job's cancel to the next submission: about what the engine here takes to create, start, kill and
    /// remove a container (1-3 s, 1.5 s of CPU). Sooner, and the containers pile up and the engine alone keeps the
    /// two cores busy; the figure would then say how the engine copes, not how events reach the clients.
    /// </summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(2500);

    public string Name => "live";

    public string Description => "SignalR event latency (grain change to client) with 1 and 1,000 clients, and fan-out rate";

    public async Task RunAsync(BenchmarkReport report, CancellationToken cancellationToken)
    {
        await using var database = await BenchmarkDatabase.CreateAsync("live");
        var starting = Stopwatch.GetTimestamp();
        await using var system = await LiveProcesses.StartAsync(database, new Dictionary<string, string>
        {
            ["SERVICE_LIVE_RUNS_PER_USER"] = "100000",
        });
        report.Figure("live.start_s", Stopwatch.GetElapsedTime(starting).TotalSeconds);
        // What tiered compilation trades: each server's start (to ready, and the CPU it took) against its CPU per job
        // in the rounds below. Run once as built and once with DOTNET_TieredCompilation=1 to compare.
        report.Figure("live.servers_tiered_compilation", LiveProcesses.TieredCompilation ? 1 : 0);
        foreach (var (process, start) in system.Starts.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            report.Figure($"live.start_s.{process}", start.Ready.TotalSeconds);
            report.Figure($"live.start_cpu_s.{process}", start.Cpu.TotalSeconds);
        }

        var rounds = Rounds();
        if (rounds.Contains("one"))
        {
            var one = await MeasureAsync(system, 1, HubWire.Json, PacedJobs, Pace, report, cancellationToken);
            report.Figure("signalr.p50_ms_1_client", one.Percentile(0.50));
            report.Figure("signalr.p99_ms_1_client", one.Percentile(0.99));
            one.ReportCpu(report, "signalr.1_client");
        }

        // The .NET client with the web page's protocol, then with the one a dashboard of many clients would pick;
        // then lean clients (the same JSON on the wire), so the figure shows the servers' share of the two cores
        // rather than the client library's: real clients do not run on the servers' machine.
        foreach (var wire in new[] { HubWire.Json, HubWire.MessagePack, HubWire.LeanJson })
        {
            if (!rounds.Contains(wire switch { HubWire.Json => "json", HubWire.MessagePack => "msgpack", _ => "lean" }))
            {
                continue;
            }

            var prefix = wire switch
            {
                HubWire.Json => "signalr.hubconnection_json",
                HubWire.MessagePack => "signalr.hubconnection_msgpack",
                _ => "signalr",
            };
            var round = await MeasureAsync(system, 1000, wire, PacedJobs, Pace, report, cancellationToken);
            report.Figure($"{prefix}.p50_ms_1000_clients", round.Percentile(0.50));
            report.Figure($"{prefix}.p99_ms_1000_clients", round.Percentile(0.99));
            if (wire == HubWire.LeanJson)
            {
                // Which steps make the tail: those while the engine creates, starts or stops a container, or all alike.
                foreach (var (status, latencies) in round.ByStatus.OrderBy(s => s.Key, StringComparer.Ordinal))
                {
                    report.Figure($"{prefix}.p99_ms_1000_clients.{status}", Measure.Percentile(latencies, 0.99));
                }

                // The cluster's part (grain to the first client) against the fan-out's (first client to last).
                var first = round.FirstAndLast.Select(s => s.FirstMs).Order().ToList();
                var spread = round.FirstAndLast.Select(s => s.LastMs - s.FirstMs).Order().ToList();
                report.Figure($"{prefix}.first_client_p50_ms", Measure.Percentile(first, 0.50));
                report.Figure($"{prefix}.first_client_p99_ms", Measure.Percentile(first, 0.99));
                report.Figure($"{prefix}.fanout_spread_p50_ms", Measure.Percentile(spread, 0.50));
                report.Figure($"{prefix}.fanout_spread_p99_ms", Measure.Percentile(spread, 0.99));
                foreach (var step in round.FirstAndLast.GroupBy(s => s.Status).OrderBy(g => g.Key, StringComparer.Ordinal))
                {
                    var firsts = step.Select(s => s.FirstMs).Order().ToList();
                    var spreads = step.Select(s => s.LastMs - s.FirstMs).Order().ToList();
                    report.Note($"{step.Key}: first client p50 {Measure.Percentile(firsts, 0.5):0} max {firsts[^1]:0} ms, spread p50 {Measure.Percentile(spreads, 0.5):0} max {spreads[^1]:0} ms");
                }

                NoteSlowestSteps(round.FirstAndLast, report);
            }

            round.ReportCpu(report, prefix);
            // Jobs that reach running before their cancel also publish counter updates: more messages, more load.
            report.Figure($"{prefix}.deliveries", round.Deliveries);
            if (round.Frames > 0)
            {
                // How often the gateway's frames carried several messages (every record counts: jobUpdated, quotaUpdated, pings).
                report.Figure($"{prefix}.records_per_frame", (double)round.Records / round.Frames);
            }
        }

        if (!rounds.Contains("burst"))
        {
            return;
        }

        // Fan-out capacity: a burst of events, each delivered to 1,000 clients, as fast as the gateway can.
        var burst = await MeasureAsync(system, 1000, HubWire.MessagePack, BurstJobs, TimeSpan.Zero, report, cancellationToken);
        report.Figure("signalr.msgs_per_s", burst.MessagesPerSecond);
        report.Figure("signalr.burst_deliveries", burst.Deliveries);
        report.Figure("signalr.burst_p99_ms", burst.Percentile(0.99));
        burst.ReportCpu(report, "signalr.burst");

        // Azure SignalR Service rates one unit at 2,000 outbound messages/s across 1,000 connections.
        report.Figure("anchor.azure_signalr_unit_msgs_per_s", 2000);
    }

    /// <summary>
    /// Names the slowest fan-outs and the monotonic-clock window each took (seconds, the clock <c>perf record -k
    /// CLOCK_MONOTONIC</c> stamps samples with), so a profile of the whole machine can be cut to those moments.
    /// </summary>
    private static void NoteSlowestSteps(List<StepFanOut> steps, BenchmarkReport report)
    {
        foreach (var step in steps.OrderByDescending(s => s.LastMs).Take(SlowestStepsNoted))
        {
            var end = (double)step.LastReceivedAt / Stopwatch.Frequency;
            report.Note($"slow step {step.Status}: first client {step.FirstMs:0} ms, last {step.LastMs:0} ms; monotonic {end - (step.LastMs / 1000):0.000}-{end:0.000} s");
        }
    }

    /// <summary>
    /// The rounds to run: all by default, or those named in CORRAL_LIVE_ROUNDS (comma-separated: one, json, msgpack,
    /// lean, burst), e.g. <c>CORRAL_LIVE_ROUNDS=lean deploy/bench.sh live</c> for quick comparisons of the lean round.
    /// </summary>
    private static HashSet<string> Rounds()
    {
        var named = Environment.GetEnvironmentVariable("CORRAL_LIVE_ROUNDS");
        return string.IsNullOrWhiteSpace(named)
            ? new HashSet<string>(["one", "json", "msgpack", "lean", "burst"], StringComparer.OrdinalIgnoreCase)
            : new HashSet<string>(named.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.OrdinalIgnoreCase);
    }

    private static async Task<Round> MeasureAsync(
        LiveProcesses system, int clients, HubWire wire, int jobs, TimeSpan pace, BenchmarkReport report, CancellationToken cancellationToken)
    {
        var token = await system.CreateUserAsync($"live{clients}u{Guid.NewGuid().ToString("N")[..6]}");
        await using var fleet = await ClientFleet.ConnectAsync(new Uri(system.Address, "/hubs/jobs"), token, clients, wire, cancellationToken);
        using var http = system.Client(token);
        report.Note($"{clients} {wire} client(s) connected");

        await RunJobsAsync(http, fleet, clients, WarmupJobs, Pace, cancellationToken);
        fleet.Reset();

        var noGc = wire == HubWire.LeanJson && StartNoGcRegion();
        var cpu = CpuMeter.Start(system);
        var collections = ClientCollections();
        var paused = GC.GetTotalPauseDuration();
        var started = Stopwatch.GetTimestamp();
        await RunJobsAsync(http, fleet, clients, jobs, pace, cancellationToken);
        var usage = cpu.Stop();
        var clientGc = new ClientGc(ClientCollections() - collections, (GC.GetTotalPauseDuration() - paused).TotalMilliseconds);
        if (noGc)
        {
            EndNoGcRegion(report);
        }
        var seconds = Stopwatch.GetElapsedTime(started, fleet.LastDelivery).TotalSeconds;
        report.Note($"{clients} {wire}: {fleet.Deliveries} deliveries, {fleet.CancelledSeen}/{jobs * clients} ends seen, {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
        if (fleet.Wire.LostClients > 0)
        {
            report.Note($"{clients} {wire}: {fleet.Wire.LostClients} client(s) stopped receiving; the first: {fleet.Wire.FirstLoss}");
        }

        if (fleet.UnrecordedSteps > 0)
        {
            report.Note($"{clients} {wire}: {fleet.UnrecordedSteps} step deliveries found no room to be recorded; the percentiles leave them out");
        }

        return new Round(fleet.SortedLatenciesMs(), fleet.SortedLatenciesMsByStatus(), fleet.FirstAndLastByStep(), jobs, fleet.Deliveries, fleet.Deliveries / Math.Max(seconds, 1e-3), usage, clientGc, fleet.Wire.Frames, fleet.Wire.Records);
    }

    /// <summary>
    /// Keeps the garbage collector out of the lean round: the lean clients allocate nothing per message, but the
    /// rest of this process (the HTTP calls that submit and cancel, the pings) did, and each collection of it paused
    /// all 1,000 clients' reading for about 20 ms (three per round), measured as the servers' latency. What a round
    /// allocates fits the budget with room to spare; a round that outgrows it is noted and its collections counted.
    /// </summary>
    private static bool StartNoGcRegion()
    {
        try
        {
            return GC.TryStartNoGCRegion(NoGcBudgetBytes);
        }
        catch (ArgumentOutOfRangeException)
        {
            // More than this runtime allows at once: collect as usual (the round's collections are printed).
            return false;
        }
    }

    private static void EndNoGcRegion(BenchmarkReport report)
    {
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            GC.EndNoGCRegion();
        }
        else
        {
            report.Note($"the clients allocated more than {NoGcBudgetBytes / (1024 * 1024)} MB in the round: the garbage collector ran (see clients_gc_count)");
        }
    }

    /// <summary>Garbage collections of this process (the clients) so far, of all generations.</summary>
    private static int ClientCollections() => GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);

    /// <summary>Submits and cancels <paramref name="jobs"/> jobs, paced or all at once, and waits until every client saw each end.</summary>
    private static async Task RunJobsAsync(HttpClient http, ClientFleet fleet, int clients, int jobs, TimeSpan pace, CancellationToken cancellationToken)
    {
        var expected = fleet.CancelledSeen + ((long)jobs * clients);
        if (pace == TimeSpan.Zero)
        {
            var ids = await Task.WhenAll(Enumerable.Range(0, jobs).Select(_ => SubmitAsync(http, cancellationToken)));
            await Task.WhenAll(ids.Select(id => http.PostAsync($"/api/jobs/{id}/cancel", null, cancellationToken)));
        }
        else
        {
            for (var i = 0; i < jobs; i++)
            {
                var id = await SubmitAsync(http, cancellationToken);
                await Task.Delay(pace, cancellationToken);
                await http.PostAsync($"/api/jobs/{id}/cancel", null, cancellationToken);
                await Task.Delay(Settle, cancellationToken);
            }
        }

        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (fleet.CancelledSeen < expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task<string> SubmitAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var response = await http.PostAsJsonAsync("/api/jobs", new { service = "live", command = new[] { "sleep", "600" }, resources = new { cpu = 0.01, memory = "16Mi" } }, cancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!["id"]!.GetValue<string>();
    }

    private sealed record Round(
        List<double> LatenciesMs, Dictionary<string, List<double>> ByStatus, List<StepFanOut> FirstAndLast, int Jobs, long Deliveries, double MessagesPerSecond, CpuUsage Cpu, ClientGc ClientGc, long Frames, long Records)
    {
        public double Percentile(double q) => Measure.Percentile(LatenciesMs, q);

        /// <summary>
        /// CPU per delivered message of each process, CPU per job of each server (what a job costs the control plane:
        /// its submission, placement, container start and stop, and its events), and how busy the whole machine was:
        /// the clients share the cores with the servers (and with whatever else runs here), so each latency figure
        /// needs this beside it.
        /// </summary>
        public void ReportCpu(BenchmarkReport report, string prefix)
        {
            foreach (var (process, time) in Cpu.ByProcess)
            {
                report.Figure($"{prefix}.cpu_us_per_msg.{process}", time.TotalMicroseconds / Math.Max(Deliveries, 1));
            }

            foreach (var process in new[] { "silo", "host_agent", "gateway" })
            {
                report.Figure($"{prefix}.cpu_ms_per_job.{process}", Cpu.ByProcess[process].TotalMilliseconds / Math.Max(Jobs, 1));
            }

            report.Figure($"{prefix}.machine_busy_pct", Cpu.MachineBusyPercent);

            // The load generator's own pauses: while it collects, no client reads, and the wait counts as latency.
            report.Figure($"{prefix}.clients_gc_count", ClientGc.Collections);
            report.Figure($"{prefix}.clients_gc_pause_ms", ClientGc.PauseMs);
        }
    }

    /// <summary>Garbage collections of the clients' process during a round, and how long they paused it in all.</summary>
    private sealed record ClientGc(int Collections, double PauseMs);
}
