using Corral.Quotas;

namespace Corral.Benchmarks.Dispatch;

/// <summary>
/// Issue 3's figures: admission-and-dispatch throughput and latency with many users, several services and a
/// simulated fleet, on the in-memory cluster and on PostgreSQL storage; pgbench on the same server as the baseline;
/// the persisted size of a queued job.
/// </summary>
public sealed class DispatchSuite : IBenchmarkSuite
{
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Measured = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan LatencyRun = TimeSpan.FromSeconds(10);

    public string Name => "dispatch";

    public string Description => "jobs/s and latency from submission to a worker, in memory and on PostgreSQL; pgbench tps; submit to running against docker run";

    public async Task RunAsync(BenchmarkReport report, CancellationToken cancellationToken)
    {
        // Published anchors, measured elsewhere, printed for context only. Slurm: about 500 jobs/s sustained
        // when tuned (its high-throughput guide; approximate). Nomad: 2 million containers in 22 minutes
        // (about 1,500/s) with 3 schedulers. kube-scheduler: gated at about 100 pods/s.
        report.Figure("anchor.slurm_jobs_per_s", 500);
        report.Figure("anchor.nomad_jobs_per_s", 1500);
        report.Figure("anchor.kube_scheduler_pods_per_s", 100);

        // CORRAL_DISPATCH_PARTS=startup (say) runs only that part: memory, postgres, capped, startup;
        // throughput is the first three.
        var parts = (Environment.GetEnvironmentVariable("CORRAL_DISPATCH_PARTS") ?? "throughput,startup")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .SelectMany(part => part == "throughput" ? ThroughputParts : [part])
            .ToHashSet(StringComparer.Ordinal);
        await RunThroughputAsync(report, parts, cancellationToken);

        if (parts.Contains("startup"))
        {
            report.Note("one job at a time on an idle cluster: the real processes and the Docker engine");
            await SubmitToRunning.RunAsync(report, cancellationToken);
        }
    }

    private static readonly string[] ThroughputParts = ["memory", "postgres", "capped"];

    private static async Task RunThroughputAsync(BenchmarkReport report, HashSet<string> parts, CancellationToken cancellationToken)
    {
        if (parts.Contains("memory"))
        {
            await RunInMemoryAsync(report, cancellationToken);
        }

        if (parts.Contains("postgres"))
        {
            await RunOnPostgresAsync(report, cancellationToken);
        }

        if (parts.Contains("capped"))
        {
            await RunCappedAsync(report, cancellationToken);
        }
    }

    private static async Task RunInMemoryAsync(BenchmarkReport report, CancellationToken cancellationToken)
    {
        report.Note("in-memory cluster");
        await using (var silo = await BenchmarkSilo.StartAsync(null, cancellationToken))
        {
            var memory = await new DispatchWorkload(silo, report).RunAsync(Warmup, Measured, LatencyRun, null, cancellationToken);
            Print(report, "dispatch.memory", memory);
            report.Figure("queue.bytes_per_job", await QueueFootprint.PersistedBytesPerJobAsync(silo, report));
        }

        report.Figure("queue.heap_bytes_per_job", QueueFootprint.HeapBytesPerJob());
    }

    private static async Task RunOnPostgresAsync(BenchmarkReport report, CancellationToken cancellationToken)
    {
        report.Note("PostgreSQL storage");
        DispatchFigures postgres;
        await using (var database = await BenchmarkDatabase.CreateAsync("dispatch"))
        await using (var silo = await BenchmarkSilo.StartAsync(database.ConnectionString, cancellationToken))
        {
            postgres = await new DispatchWorkload(silo, report).RunAsync(Warmup, Measured, LatencyRun, CommitsAsync, cancellationToken);
            Print(report, "dispatch.postgres", postgres);
            report.Figure("dispatch.postgres.db_transactions_per_job", postgres.DatabaseTransactionsPerJob);

            // PostgreSQL's cumulative statistics, which its backends report at least once a second.
            Task<long> CommitsAsync() => database.ScalarAsync<long>(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()");
        }

        var tps = await PgBench.MeasureTpsAsync(report, cancellationToken);
        report.Figure("pgbench.tps", tps);
        report.Ratio("dispatch.postgres.vs_pgbench_ratio", postgres.JobsPerSecond, tps);
        // The database work the dispatch run asked for, against what pgbench got out of the same server.
        report.Ratio("dispatch.postgres.db_tps_vs_pgbench_ratio", postgres.JobsPerSecond * postgres.DatabaseTransactionsPerJob, tps);
    }

    private static async Task RunCappedAsync(BenchmarkReport report, CancellationToken cancellationToken)
    {
        // In memory first: what the admission itself costs, without the store.
        report.Note($"in-memory cluster, one service capped at {SharedServiceCap} running jobs shared by {CappedShape.Users} users");
        await using (var memory = await BenchmarkSilo.StartAsync(null, cancellationToken, CappedQuotas))
        {
            PrintSaturated(report, "dispatch.memory.capped_service",
                await new DispatchWorkload(memory, report, CappedShape).RunThroughputAsync(Warmup, Measured, cancellationToken));
        }

        report.Note($"PostgreSQL storage, one service capped at {SharedServiceCap} running jobs shared by {CappedShape.Users} users");
        await using var database = await BenchmarkDatabase.CreateAsync("capped");
        await using var silo = await BenchmarkSilo.StartAsync(database.ConnectionString, cancellationToken, CappedQuotas);
        PrintSaturated(report, "dispatch.postgres.capped_service",
            await new DispatchWorkload(silo, report, CappedShape).RunThroughputAsync(Warmup, Measured, cancellationToken));
    }

    private const int SharedServiceCap = 100;

    /// <summary>1,000 users, one service, two jobs each in flight: 2,000 jobs contend for the service's 100 slots.</summary>
    private static readonly DispatchShape CappedShape = new(1000, 1, 2);

    private static QuotaOptions CappedQuotas => new(
        new Dictionary<string, int>(),
        new Dictionary<string, int> { ["SVC_A"] = SharedServiceCap },
        new Dictionary<string, int>(),
        new Dictionary<string, int>());

    private static void PrintSaturated(BenchmarkReport report, string prefix, SaturatedFigures figures)
    {
        report.Figure($"{prefix}.jobs_per_s", figures.JobsPerSecond);
        report.Figure($"{prefix}.cpu_ms_per_job", figures.CpuMsPerJob);
        report.Figure($"{prefix}.allocated_kb_per_job", figures.AllocatedKbPerJob);
        report.Figure($"{prefix}.gc_pause_ms_per_s", figures.GcPauseMsPerSecond);
    }

    private static void Print(BenchmarkReport report, string prefix, DispatchFigures figures)
    {
        report.Figure($"{prefix}.jobs_per_s", figures.JobsPerSecond);
        report.Figure($"{prefix}.cpu_ms_per_job", figures.CpuMsPerJob);
        report.Figure($"{prefix}.allocated_kb_per_job", figures.AllocatedKbPerJob);
        report.Figure($"{prefix}.gc_pause_ms_per_s", figures.GcPauseMsPerSecond);
        report.Figure($"{prefix}.latency_load_jobs_per_s", figures.LatencyLoad);
        report.Figure($"{prefix}.p50_ms", figures.P50Ms);
        report.Figure($"{prefix}.p99_ms", figures.P99Ms);
        report.Figure($"{prefix}.backlog_jobs_per_s", figures.BacklogJobsPerSecond);
    }
}
