using System.Diagnostics;
using Corral.Benchmarks.Dispatch;
using Corral.Jobs;
using Corral.Quotas;
using Corral.Reconciling;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace Corral.Benchmarks.Queue;

/// <summary>
/// What one enqueue costs a quota with 10 jobs waiting and with 100,000 waiting, on PostgreSQL through the production
/// silo wiring: the time of one <c>EnqueueAsync</c> (mean and p99) and the bytes PostgreSQL writes for it (WAL), in
/// alternating blocks so both see the same machine. The waiting jobs are rows (corral_quota_waiting), put there with
/// COPY before the quota grains activate; the target is a ratio of about 1.
/// </summary>
public sealed class QueueSuite : IBenchmarkSuite
{
    private const int Small = 10;
    private const int Large = 100_000;
    private const int Warmups = 50;
    private const int Blocks = 10;
    private const int PerBlock = 100;

    public string Name => "queue";

    public string Description => "one quota enqueue with 10 vs 100,000 jobs waiting on PostgreSQL: time and bytes written";

    public async Task RunAsync(BenchmarkReport report, CancellationToken cancellationToken)
    {
        await using var database = await BenchmarkDatabase.CreateAsync("queue");
        await using var silo = await BenchmarkSilo.StartAsync(database.ConnectionString, cancellationToken);
        var small = silo.Grains.GetGrain<IQuotaGrain>(QuotaKey.For("queue-small", "svc"));
        var large = silo.Grains.GetGrain<IQuotaGrain>(QuotaKey.For("queue-large", "svc"));
        var filling = Stopwatch.GetTimestamp();
        await FillAsync(database, small.GetGrainId().ToString(), "queue-small", Small, cancellationToken);
        await FillAsync(database, large.GetGrainId().ToString(), "queue-large", Large, cancellationToken);
        report.Note($"{Small} and {Large:N0} waiting rows put in place in {Stopwatch.GetElapsedTime(filling).TotalSeconds:0.0} s");

        // The first call activates the grain, which reads its rows: not an enqueue's cost.
        var activation = Stopwatch.GetTimestamp();
        await EnqueueAsync(large, Large + 1);
        report.Note($"activating the quota with {Large:N0} waiting took {Stopwatch.GetElapsedTime(activation).TotalMilliseconds:0} ms");
        await EnqueueAsync(small, Small + 1);
        for (var i = 0; i < Warmups; i++)
        {
            await EnqueueAsync(small, Small + 2 + i);
            await EnqueueAsync(large, Large + 2 + i);
        }

        var smallRun = new Run(small, Small + 2 + Warmups);
        var largeRun = new Run(large, Large + 2 + Warmups);
        for (var block = 0; block < Blocks; block++)
        {
            await smallRun.BlockAsync(database, PerBlock);
            await largeRun.BlockAsync(database, PerBlock);
        }

        smallRun.Print(report, $"queue.enqueue_{Small}");
        largeRun.Print(report, $"queue.enqueue_{Large}");
        report.Ratio("queue.enqueue_mean_ratio", largeRun.MeanMs, smallRun.MeanMs);
        report.Ratio("queue.enqueue_p99_ratio", largeRun.P99Ms, smallRun.P99Ms);
        report.Ratio("queue.wal_bytes_ratio", largeRun.WalBytesPerEnqueue, smallRun.WalBytesPerEnqueue);
        report.Figure($"queue.state_bytes_{Large}", await database.ScalarAsync<int>(
            "SELECT octet_length(payload) FROM corral_grain_state WHERE grain_id = $1", large.GetGrainId().ToString()));
        report.Figure("queue.table_bytes_per_waiting_job", await database.ScalarAsync<double>(
            "SELECT pg_total_relation_size('corral_quota_waiting')::float8 / count(*) FROM corral_quota_waiting"));

        await MeasureSweepAsync(report, database, silo, large.GetGrainId().ToString(), cancellationToken);
    }

    /// <summary>
    /// The job reconciler's minute sweep with the waiting jobs in the job index (unfinished, quiet for two minutes):
    /// with today's rule (the quotas woken, their waiting jobs left to them), then with every quiet job woken as before
    /// (waiting ones included): how many jobs each wakes, and the silo's CPU time from the sweep's start until it is idle
    /// again (the wakes are one-way, so their work follows the sweep). The jobs have no stored state here, so a woken job
    /// only activates and reads it: the second figure is a floor of what the old rule cost.
    /// </summary>
    private static async Task MeasureSweepAsync(
        BenchmarkReport report, BenchmarkDatabase database, BenchmarkSilo silo, string quotaKey, CancellationToken cancellationToken)
    {
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var rows = new NpgsqlCommand(
                "INSERT INTO corral_jobs (job_id, user_name, service, kind, status, submitted_at, unfinished, updated_at) " +
                "SELECT job_id, user_name, 'svc', 'Batch', 'Queued', enqueued_at, true, now() - interval '2 minutes' " +
                "FROM corral_quota_waiting WHERE quota_key = $1", connection)
            {
                Parameters = { new() { Value = quotaKey } },
            };
            report.Note($"sweep: {await rows.ExecuteNonQueryAsync(cancellationToken):N0} waiting jobs in the job index, quiet for 2 minutes");
        }

        var index = silo.Services.GetRequiredService<IJobIndex>();
        var waiting = silo.Services.GetRequiredService<IWaitingJobStore>();
        var (today, todayCpu) = await SweepAsync(() => JobReconcilerGrain.SweepAsync(
            index, waiting, silo.Grains, JobReconcilerGrain.Period, JobReconcilerGrain.WaitingJobsQuietFor), cancellationToken);
        var (before, beforeCpu) = await SweepAsync(() => JobReconcilerGrain.SweepAsync(
            index, waiting, silo.Grains, JobReconcilerGrain.Period, JobReconcilerGrain.Period), cancellationToken);
        report.Figure("queue.sweep_jobs_woken", today.Jobs.Count);
        report.Figure("queue.sweep_quotas_woken", today.Quotas.Count);
        report.Figure("queue.sweep_cpu_ms", todayCpu);
        report.Figure("queue.sweep_every_job.jobs_woken", before.Jobs.Count);
        report.Figure("queue.sweep_every_job.cpu_ms", beforeCpu);
        report.Ratio("queue.sweep_cpu_ratio", todayCpu, beforeCpu);
    }

    /// <summary>The silo counts as settled after a second in which it used less CPU time than this.</summary>
    private static readonly TimeSpan IdleCpuPerSecond = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan LongestSettle = TimeSpan.FromMinutes(3);

    private static async Task<(ReconcilerSweep Sweep, double CpuMs)> SweepAsync(Func<Task<ReconcilerSweep>> sweep, CancellationToken cancellationToken)
    {
        using var process = Process.GetCurrentProcess();
        var before = process.TotalProcessorTime;
        var result = await sweep();
        var settling = Stopwatch.GetTimestamp();
        var last = process.TotalProcessorTime;
        do
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            process.Refresh();
            var now = process.TotalProcessorTime;
            if (now - last < IdleCpuPerSecond)
            {
                break;
            }

            last = now;
        }
        while (Stopwatch.GetElapsedTime(settling) < LongestSettle);

        return (result, (process.TotalProcessorTime - before).TotalMilliseconds);
    }

    /// <summary>Enqueues a new job and checks it waits last: the queue really is that long.</summary>
    private static async Task EnqueueAsync(IQuotaGrain quota, int expectedPosition)
    {
        var decision = await quota.EnqueueAsync(Guid.CreateVersion7().ToString("N"));
        if (decision.Admitted || decision.QueuePosition != expectedPosition)
        {
            throw new InvalidOperationException(
                $"the enqueue was answered {decision}, expected to wait at position {expectedPosition}");
        }
    }

    /// <summary>
    /// Waiting rows as the grain writes them, numbered in arrival order. The grain's state does not exist yet: the
    /// quota holds no slot, so every newcomer waits behind these.
    /// </summary>
    private static async Task FillAsync(BenchmarkDatabase database, string quotaKey, string user, int count, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        var at = DateTime.UtcNow;
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY corral_quota_waiting (quota_key, job_id, user_name, priority, seq, enqueued_at) FROM STDIN (FORMAT BINARY)",
            cancellationToken))
        {
            for (var i = 0; i < count; i++)
            {
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(quotaKey, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(Guid.CreateVersion7().ToString("N"), NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(user, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync((short)0, NpgsqlDbType.Smallint, cancellationToken);
                await writer.WriteAsync((long)i, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(at, NpgsqlDbType.TimestampTz, cancellationToken);
            }

            await writer.CompleteAsync(cancellationToken);
        }

        await using var analyze = new NpgsqlCommand("ANALYZE corral_quota_waiting", connection);
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The timed enqueues of one quota, and the WAL written during its blocks.</summary>
    private sealed class Run(IQuotaGrain quota, int nextPosition)
    {
        private readonly List<double> _ms = [];
        private long _walBytes;
        private int _position = nextPosition;

        public double MeanMs => _ms.Average();

        public double P99Ms => Measure.Percentile([.. _ms.Order()], 0.99);

        /// <summary>WAL bytes per enqueue; the silo's own background writes (membership, reminders) are included.</summary>
        public double WalBytesPerEnqueue => _walBytes / (double)_ms.Count;

        public async Task BlockAsync(BenchmarkDatabase database, int count)
        {
            var before = await database.ScalarAsync<string>("SELECT pg_current_wal_insert_lsn()::text");
            for (var i = 0; i < count; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await EnqueueAsync(quota, _position++);
                _ms.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            _walBytes += (long)await database.ScalarAsync<decimal>(
                "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)", before);
        }

        public void Print(BenchmarkReport report, string prefix)
        {
            report.Figure($"{prefix}.mean_ms", MeanMs);
            report.Figure($"{prefix}.p99_ms", P99Ms);
            report.Figure($"{prefix}.wal_bytes", WalBytesPerEnqueue);
        }
    }
}
