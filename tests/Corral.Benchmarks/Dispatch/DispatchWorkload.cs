using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using Corral.Jobs;
using Corral.Quotas;
using Corral.Workers;

namespace Corral.Benchmarks.Dispatch;

/// <summary>What one backend measured; every rate counts jobs from submission to "handed to a worker".</summary>
public sealed record DispatchFigures(
    double JobsPerSecond,
    double CpuMsPerJob,
    double AllocatedKbPerJob,
    double GcPauseMsPerSecond,
    double DatabaseTransactionsPerJob,
    double LatencyLoad,
    double P50Ms,
    double P99Ms,
    double BacklogJobsPerSecond);

/// <summary>
/// The saturated phase: jobs handed to workers per second, and what each cost the process (CPU, bytes allocated,
/// which load on the machine changes far less than the rate) and the database (transactions).
/// </summary>
public sealed record SaturatedFigures(
    double JobsPerSecond, double CpuMsPerJob, double AllocatedKbPerJob, double GcPauseMsPerSecond, double TransactionsPerJob);

/// <summary>How many users submit to how many services, and how many jobs each (user, service) pair keeps in flight.</summary>
public sealed record DispatchShape(int Users, int Services, int JobsInFlightPerPair)
{
    /// <summary>50 users x 4 services, each pair holding its whole default quota in flight.</summary>
    public static DispatchShape Default { get; } = new(50, 4, QuotaOptions.DefaultLimit);
}

/// <summary>
/// Many users submitting to several services, against a fleet of simulated workers that completes every job at
/// once. A job counts as handed to a worker when its host grain is asked to start it, which the job grain does
/// right after persisting <c>starting</c>.
/// <list type="number">
/// <item>Throughput: every (user, service) pair keeps its whole quota of jobs in flight, submitting the next one
/// when one ends, so the system is saturated but no job waits for a slot. Jobs handed to workers per second after
/// a warm-up, with the process CPU time and (on PostgreSQL) the database transactions that cost per job.</item>
/// <item>Latency: jobs arrive at a steady rate of half that throughput (open loop, spread over the pairs); p50 and
/// p99 from submission to hand-over. Under saturation a closed loop only measures its own queue.</item>
/// <item>Backlog: every pair submits <see cref="BacklogPerPair"/> jobs at once, so most wait in their quota's FIFO
/// and are admitted one by one as slots free: how fast the whole backlog reaches workers.</item>
/// </list>
/// </summary>
public sealed class DispatchWorkload
{
    public const int Workers = 16;
    public const int BacklogPerPair = 10;
    private const string Image = "corral/busybox:latest";
    private static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(60);

    private readonly BenchmarkSilo _silo;
    private readonly BenchmarkReport _report;
    private readonly ConcurrentDictionary<string, long> _submitted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _completions = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(long Handed, long Latency)> _handed = new();
    private readonly DispatchShape _shape;

    public DispatchWorkload(BenchmarkSilo silo, BenchmarkReport report, DispatchShape? shape = null)
    {
        _silo = silo;
        _report = report;
        _shape = shape ?? DispatchShape.Default;
        Pairs =
        [
            .. from u in Enumerable.Range(0, _shape.Users)
               from s in Enumerable.Range(0, _shape.Services)
               select ($"bench-u{u:0000}", $"svc-{(char)('a' + s)}"),
        ];
        silo.Fleet.Handed = OnHanded;
        silo.Fleet.Completed = OnCompleted;
    }

    private ImmutableArray<(string User, string Service)> Pairs { get; }

    /// <summary>Only the saturated throughput phase.</summary>
    public async Task<SaturatedFigures> RunThroughputAsync(TimeSpan warmup, TimeSpan measured, CancellationToken cancellationToken)
    {
        using var heartbeats = new CancellationTokenSource();
        await RegisterWorkersAsync();
        var heartbeating = HeartbeatAsync(heartbeats.Token);
        try
        {
            var saturated = await RunSaturatedAsync(warmup, measured, null, cancellationToken);
            await CheckNothingLeftAsync();
            return saturated;
        }
        finally
        {
            await heartbeats.CancelAsync();
            await heartbeating;
        }
    }

    /// <summary>Runs the three phases; <paramref name="transactions"/>, when given, reads the database's commit count.</summary>
    public async Task<DispatchFigures> RunAsync(
        TimeSpan warmup, TimeSpan measured, TimeSpan latencyRun, Func<Task<long>>? transactions, CancellationToken cancellationToken)
    {
        using var heartbeats = new CancellationTokenSource();
        await RegisterWorkersAsync();
        var heartbeating = HeartbeatAsync(heartbeats.Token);
        try
        {
            var saturated = await RunSaturatedAsync(warmup, measured, transactions, cancellationToken);
            var load = Math.Max(10, Math.Round(saturated.JobsPerSecond / 2));
            var (p50, p99) = await RunOpenLoopAsync(load, latencyRun, cancellationToken);
            var backlog = await RunBacklogAsync(cancellationToken);
            await CheckNothingLeftAsync();
            return new DispatchFigures(
                saturated.JobsPerSecond, saturated.CpuMsPerJob, saturated.AllocatedKbPerJob, saturated.GcPauseMsPerSecond,
                saturated.TransactionsPerJob, load, p50, p99, backlog);
        }
        finally
        {
            await heartbeats.CancelAsync();
            await heartbeating;
        }
    }

    private async Task<SaturatedFigures> RunSaturatedAsync(
        TimeSpan warmup, TimeSpan measured, Func<Task<long>>? transactions, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var loops = Pairs
            .SelectMany(p => Enumerable.Range(0, _shape.JobsInFlightPerPair).Select(slot => SubmitLoopAsync(p.User, p.Service, slot, stop.Token)))
            .ToList();
        await Task.Delay(warmup, cancellationToken);
        var from = Stopwatch.GetTimestamp();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var pausedBefore = GC.GetTotalPauseDuration();
        var transactionsBefore = transactions is null ? 0 : await transactions();
        await Task.Delay(measured, cancellationToken);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
        var paused = GC.GetTotalPauseDuration() - pausedBefore;
        var committed = transactions is null ? 0 : await transactions() - transactionsBefore;
        var to = Stopwatch.GetTimestamp();
        await stop.CancelAsync();
        await Task.WhenAll(loops);

        var jobs = _handed.Count(h => h.Handed >= from && h.Handed < to);
        _report.Note($"throughput: {_handed.Count} jobs handed to workers, {jobs} in the measured {measured.TotalSeconds:0} s");
        var perJob = 1.0 / Math.Max(1, jobs);
        return new SaturatedFigures(
            jobs / measured.TotalSeconds, cpu.TotalMilliseconds * perJob, allocated / 1024.0 * perJob,
            paused.TotalMilliseconds / measured.TotalSeconds, committed * perJob);
    }

    private async Task<(double P50Ms, double P99Ms)> RunOpenLoopAsync(double perSecond, TimeSpan duration, CancellationToken cancellationToken)
    {
        _handed.Clear();
        var total = (int)(perSecond * duration.TotalSeconds);
        _report.Note($"latency: {total} jobs arriving at {perSecond:0} per second");
        var submissions = new List<Task<Task>>(total);
        var started = Stopwatch.GetTimestamp();
        while (submissions.Count < total)
        {
            var due = Math.Min(total, (int)(Stopwatch.GetElapsedTime(started).TotalSeconds * perSecond) + 1);
            while (submissions.Count < due)
            {
                var (user, service) = Pairs[submissions.Count % Pairs.Length];
                submissions.Add(SubmitAsync(user, service, submissions.Count));
            }

            await Task.Delay(1, cancellationToken);
        }

        var completions = await Task.WhenAll(submissions);
        await Task.WhenAll(completions).WaitAsync(JobTimeout, cancellationToken);
        var latencies = _handed.Select(h => h.Latency * 1000.0 / Stopwatch.Frequency).Order().ToList();
        return (Measure.Percentile(latencies, 0.50), Measure.Percentile(latencies, 0.99));
    }

    private async Task<double> RunBacklogAsync(CancellationToken cancellationToken)
    {
        _handed.Clear();
        var started = Stopwatch.GetTimestamp();
        var jobs = Pairs.SelectMany(p => Enumerable.Range(0, BacklogPerPair).Select(i => SubmitAsync(p.User, p.Service, i))).ToList();
        var completions = await Task.WhenAll(jobs);
        await Task.WhenAll(completions).WaitAsync(JobTimeout, cancellationToken);
        var seconds = (_handed.Max(h => h.Handed) - started) / (double)Stopwatch.Frequency;
        _report.Note($"backlog: {jobs.Count} jobs submitted at once reached workers in {seconds:0.00} s");
        return jobs.Count / seconds;
    }

    private async Task SubmitLoopAsync(string user, string service, int slot, CancellationToken stop)
    {
        var n = slot;
        while (!stop.IsCancellationRequested)
        {
            var completed = await SubmitAsync(user, service, n++);
            await completed.WaitAsync(JobTimeout, CancellationToken.None);
        }
    }

    /// <summary>Submits one job; the returned task ends when the job has ended.</summary>
    private async Task<Task> SubmitAsync(string user, string service, int n)
    {
        var id = Guid.CreateVersion7().ToString("N");
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _completions[id] = completion;
        _submitted[id] = Stopwatch.GetTimestamp();
        var view = await _silo.Grains.GetGrain<IJobGrain>(id).SubmitAsync(user, Spec(service, n));
        if (view.Status is JobStatus.Failed or JobStatus.Cancelled)
        {
            throw new InvalidOperationException($"job {id} was submitted as {view.Status}: {view.Message}");
        }

        return completion.Task;
    }

    private void OnHanded(string jobId)
    {
        var now = Stopwatch.GetTimestamp();
        if (_submitted.TryRemove(jobId, out var submitted))
        {
            _handed.Enqueue((now, now - submitted));
        }
    }

    private void OnCompleted(string jobId)
    {
        if (_completions.TryRemove(jobId, out var completion))
        {
            completion.TrySetResult();
        }
    }

    /// <summary>A spread of small and medium requests, so placement does real best-fit work.</summary>
    private static JobSpec Spec(string service, int n) => new(
        service, Image, ["true"], JobKind.Batch, ImmutableDictionary<string, string>.Empty,
        new ResourceRequest((n % 3) switch { 0 => 0.5, 1 => 1, _ => 2 }, (128L << 20) << (n % 4), 64, null), null);

    private async Task RegisterWorkersAsync()
    {
        var capacity = new WorkerCapacity(96, 512L << 30, []);
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(i => _silo.Grains.GetGrain<IWorkerGrain>(WorkerName(i))
            .RegisterAsync(new WorkerRegistration(_silo.HostKey, capacity, SshCaps.Uncapped, [Image], "127.0.0.1"))));
    }

    private static string WorkerName(int i) => $"sim-{i:00}";

    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(WorkerLiveness.HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await RegisterWorkersAsync();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Every job ended, so every slot and every reservation must be free again, and nothing may have failed.</summary>
    private async Task CheckNothingLeftAsync()
    {
        if (_silo.Fleet.Errors > 0)
        {
            throw new InvalidOperationException($"{_silo.Fleet.Errors} simulated host reports failed; last: {_silo.Fleet.LastError}");
        }

        foreach (var (user, service) in Pairs)
        {
            var usage = await _silo.Grains.GetGrain<IQuotaGrain>(QuotaKey.For(user, service)).GetUsageAsync();
            if (usage.Running != 0 || usage.Queued != 0)
            {
                throw new InvalidOperationException($"{user}/{service} still holds {usage.Running} slots with {usage.Queued} queued");
            }
        }

        // Releases of a reservation made twice for one job (a placement repeated while the job was being assigned)
        // are one-way messages: give them a moment.
        for (var attempt = 0; ; attempt++)
        {
            var held = new List<string>();
            for (var i = 0; i < Workers; i++)
            {
                var worker = await _silo.Grains.GetGrain<IWorkerGrain>(WorkerName(i)).GetAsync();
                if (worker is null || !worker.Jobs.IsEmpty)
                {
                    held.Add($"{WorkerName(i)}: {worker?.Jobs.Length}");
                }
            }

            if (held.Count == 0)
            {
                return;
            }

            if (attempt == 20)
            {
                throw new InvalidOperationException("reservations still held after every job ended: " + string.Join(", ", held));
            }

            await Task.Delay(250);
        }
    }
}
