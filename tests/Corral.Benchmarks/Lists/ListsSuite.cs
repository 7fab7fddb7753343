using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Corral.Benchmarks.Live;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Orleans.Configuration;

namespace Corral.Benchmarks.Lists;

/// <summary>
/// The read paths that used to load everything, on the real processes: listing a user with 100,000 jobs (rows
/// put straight into the job index) through <c>GET /api/jobs</c>, checking no job grain was activated; and the
/// gateway's memory while 20 live clients open a 200 MiB log (watchLogs) and one client downloads it whole.
/// </summary>
public sealed class ListsSuite : IBenchmarkSuite
{
    private const int UserJobs = 100_000;
    private const int OtherUsers = 100;
    private const int JobsPerOtherUser = 1_000;
    private const int Runs = 50;
    private const int Watchers = 20;
    private const int LogMiB = 200;

    public string Name => "lists";

    public string Description => "GET /api/jobs over 100,000 jobs of a user, and gateway memory while 20 clients watch a 200 MiB log";

    public async Task RunAsync(BenchmarkReport report, CancellationToken cancellationToken)
    {
        await using var database = await BenchmarkDatabase.CreateAsync("lists");
        await using var system = await LiveProcesses.StartAsync(database, new Dictionary<string, string>());
        var user = "lister";
        var token = await system.CreateUserAsync(user);

        var filling = Stopwatch.GetTimestamp();
        await FillJobIndexAsync(database, user, cancellationToken);
        report.Note($"job index filled with {UserJobs + (OtherUsers * JobsPerOtherUser):N0} rows in {Stopwatch.GetElapsedTime(filling).TotalSeconds:0.0} s");

        using var http = system.Client(token);
        using var admin = system.Client(system.AdminToken);
        using var client = await ConnectAsync(database, cancellationToken);
        var cluster = client.Services.GetRequiredService<IClusterClient>();
        var activationsBefore = await JobActivationsAsync(cluster);
        await ListAsync(report, "lists.user_first_page", http, "/api/jobs", cancellationToken);
        await ListAsync(report, "lists.user_page_at_50000", http, await CursorAfterAsync(http, "/api/jobs?limit=100", 500), cancellationToken);
        await ListAsync(report, "lists.user_status_running", http, "/api/jobs?status=running", cancellationToken);
        await ListAsync(report, "lists.user_service_filter", http, "/api/jobs?service=svc-3&limit=100", cancellationToken);
        await ListAsync(report, "lists.admin_all_users", admin, "/api/jobs", cancellationToken);
        await ListAsync(report, "lists.admin_limit_500", admin, "/api/jobs?limit=500", cancellationToken);
        report.Figure("lists.job_grains_activated", await JobActivationsAsync(cluster) - activationsBefore);

        await WatchBigLogAsync(report, system, database, http, token, cancellationToken);
    }

    /// <summary>Rows straight into corral_jobs with COPY: the user's 100,000, and 1,000 each for 100 others.</summary>
    private static async Task FillJobIndexAsync(BenchmarkDatabase database, string user, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        var start = DateTimeOffset.UtcNow.AddDays(-30);
        string[] statuses = ["Succeeded", "Succeeded", "Succeeded", "Failed", "Cancelled", "Running", "Queued", "Pending"];
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY corral_jobs (job_id, user_name, service, kind, status, submitted_at, unfinished, updated_at) FROM STDIN (FORMAT BINARY)",
            cancellationToken))
        {
            var n = 0;
            void Row(string owner, int i)
            {
                // Most jobs have ended; one in 200 is running, queued or pending.
                var status = n % 200 == 0 ? statuses[5 + (n / 200 % 3)] : statuses[n % 5];
                writer.StartRow();
                writer.Write($"{n:x32}", NpgsqlDbType.Text);
                writer.Write(owner, NpgsqlDbType.Text);
                writer.Write($"svc-{i % 10}", NpgsqlDbType.Text);
                writer.Write("Batch", NpgsqlDbType.Text);
                writer.Write(status, NpgsqlDbType.Text);
                writer.Write(start.AddSeconds(n * 0.02).UtcDateTime, NpgsqlDbType.TimestampTz);
                // A job that has not ended is unfinished; written "tomorrow", so the reconciler (which wakes
                // unfinished jobs quiet for a minute) leaves these rows without state alone during the run.
                var unfinished = status is "Running" or "Queued" or "Pending";
                writer.Write(unfinished, NpgsqlDbType.Boolean);
                writer.Write(DateTime.UtcNow.AddDays(1), NpgsqlDbType.TimestampTz);
                n++;
            }

            for (var i = 0; i < UserJobs; i++)
            {
                Row(user, i);
            }

            for (var u = 0; u < OtherUsers; u++)
            {
                for (var i = 0; i < JobsPerOtherUser; i++)
                {
                    Row($"other{u}", i);
                }
            }

            await writer.CompleteAsync(cancellationToken);
        }

        await using var analyze = new NpgsqlCommand("ANALYZE corral_jobs", connection);
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Median and p99 of <see cref="Runs"/> timed requests after 5 untimed ones; checks the page is full.</summary>
    private static async Task ListAsync(BenchmarkReport report, string name, HttpClient client, string path, CancellationToken cancellationToken)
    {
        var times = new List<double>();
        var items = 0;
        for (var i = 0; i < Runs + 5; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var page = (await client.GetFromJsonAsync<JsonObject>(path, cancellationToken))!;
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            items = page["items"]!.AsArray().Count;
            if (i >= 5)
            {
                times.Add(ms);
            }
        }

        times.Sort();
        report.Figure(name + ".p50_ms", Measure.Percentile(times, 0.5));
        report.Figure(name + ".p99_ms", Measure.Percentile(times, 0.99));
        report.Figure(name + ".items", items);
    }

    /// <summary>Follows <paramref name="pages"/> pages from <paramref name="path"/>: the path of the page after them.</summary>
    private static async Task<string> CursorAfterAsync(HttpClient client, string path, int pages)
    {
        var next = path;
        for (var i = 0; i < pages; i++)
        {
            var page = (await client.GetFromJsonAsync<JsonObject>(next))!;
            next = $"/api/jobs?limit=100&cursor={Uri.EscapeDataString(page["nextCursor"]!.GetValue<string>())}";
        }

        return next;
    }

    /// <summary>Job grain activations in the cluster now, as the silo's management grain counts them.</summary>
    private static async Task<int> JobActivationsAsync(IClusterClient cluster)
    {
        var statistics = await cluster.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        return statistics.Where(s => s.GrainType.Contains("JobGrain", StringComparison.Ordinal)).Sum(s => s.ActivationCount);
    }

    /// <summary>An Orleans client of the benchmark's cluster, to ask the silo how many grains it holds.</summary>
    private static async Task<IHost> ConnectAsync(BenchmarkDatabase database, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = database.Name;
                o.ServiceId = "corral";
            });
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = database.ConnectionString;
            });
        });
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return host;
    }

    /// <summary>A finished job given a 200 MiB log, then 20 live clients open it at once, five times, and one downloads it.</summary>
    private static async Task WatchBigLogAsync(
        BenchmarkReport report, LiveProcesses system, BenchmarkDatabase database, HttpClient http, string token, CancellationToken cancellationToken)
    {
        var submitted = await http.PostAsJsonAsync("/api/jobs", new { service = "lists", command = new[] { "true" }, resources = new { cpu = 0.1, memory = "16Mi" } }, cancellationToken);
        submitted.EnsureSuccessStatusCode();
        var id = (await submitted.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!["id"]!.GetValue<string>();
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            var line = Encoding.UTF8.GetBytes("2026-12-06T03:00:00Z step 123456 loss=0.123 lr=0.0001 tokens/s=98765 gpu=97%\n");
            var chunk = new byte[1024 * 1024];
            for (var i = 0; i < chunk.Length; i++)
            {
                chunk[i] = line[i % line.Length];
            }

            for (var seq = 1000; seq < 1000 + LogMiB; seq++)
            {
                await using var insert = new NpgsqlCommand("INSERT INTO corral_job_logs (job_id, seq, content) VALUES ($1, $2, $3)", connection);
                insert.Parameters.Add(new NpgsqlParameter { Value = id });
                insert.Parameters.Add(new NpgsqlParameter { Value = (long)seq });
                insert.Parameters.Add(new NpgsqlParameter { Value = chunk });
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        var gateway = system.ProcessId("Gateway");
        var clients = new List<HubConnection>();
        for (var i = 0; i < Watchers; i++)
        {
            var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(system.Address, "/hubs/jobs"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
                .Build();
            await connection.StartAsync(cancellationToken);
            clients.Add(connection);
        }

        try
        {
            // The whole log through the API first: it streams, so the gateway holds a chunk at a time.
            await Task.Delay(1000, cancellationToken);
            var before = RssBytes(gateway);
            using (var streamSampling = new CancellationTokenSource())
            {
                var streamPeak = SamplePeakAsync(gateway, streamSampling.Token);
                var started = Stopwatch.GetTimestamp();
                await using var body = await http.GetStreamAsync($"/api/jobs/{id}/logs", cancellationToken);
                var buffer = new byte[1 << 16];
                long bytes = 0;
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    bytes += read;
                }

                var streamSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                streamSampling.Cancel();
                report.Figure("logs.gateway_rss_before_mib", before / 1048576.0);
                report.Figure("logs.download_mib", bytes / 1048576.0);
                report.Figure("logs.download_mib_per_s", bytes / 1048576.0 / streamSeconds);
                report.Figure("logs.gateway_rss_peak_downloading_mib", await streamPeak / 1048576.0);
            }

            // Then 20 clients open it at once, 30 times over: the memory after the 1st, 10th and 30th round says
            // whether the gateway's memory follows the log and the watchers (it would grow by GBs) or levels off.
            using var sampling = new CancellationTokenSource();
            var peak = SamplePeakAsync(gateway, sampling.Token);
            var watching = Stopwatch.GetTimestamp();
            long received = 0;
            const int rounds = 30;
            for (var round = 0; round < rounds; round++)
            {
                var snapshots = await Task.WhenAll(clients.Select(c => c.InvokeAsync<JsonObject>("watchLogs", id, cancellationToken)));
                received += snapshots.Sum(s => (long)Encoding.UTF8.GetByteCount(s["text"]!.GetValue<string>()));
                if (round is 0 or 9 or 29)
                {
                    report.Figure($"logs.gateway_rss_after_watch_round_{round + 1}_mib", RssBytes(gateway) / 1048576.0);
                }
            }

            var watchSeconds = Stopwatch.GetElapsedTime(watching).TotalSeconds;
            sampling.Cancel();
            report.Figure("logs.watch_ms_per_round_of_20", watchSeconds * 1000 / rounds);
            report.Figure("logs.watch_snapshot_kib", received / (double)(rounds * Watchers) / 1024);
            report.Figure("logs.gateway_rss_peak_watching_mib", await peak / 1048576.0);
            report.Figure("logs.gateway_rss_after_watching_mib", RssBytes(gateway) / 1048576.0);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static async Task<long> SamplePeakAsync(int pid, CancellationToken stop)
    {
        long peak = 0;
        while (!stop.IsCancellationRequested)
        {
            peak = Math.Max(peak, RssBytes(pid));
            try
            {
                await Task.Delay(20, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return Math.Max(peak, RssBytes(pid));
    }

    /// <summary>Resident memory of a process, from /proc (VmRSS, in KiB there).</summary>
    private static long RssBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
            }
        }

        return 0;
    }
}
