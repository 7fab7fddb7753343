using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Corral.Telemetry;
using Corral.Workers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Corral.Silo;

/// <summary>
/// Per-worker capacity for /metrics, from the dispatcher's snapshots every <see cref="Every"/>: CPUs, memory and GPUs
/// in total and reserved, jobs placed, and whether the worker is alive and accepts jobs (not draining). Every core
/// silo reports the whole cluster's figures: aggregate them with max, not sum.
/// </summary>
public sealed partial class WorkerCapacityGauge : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(10);

    private static readonly Meter Meter = new(CorralMeters.Prefix + "Workers");

    private readonly IGrainFactory _grains;
    private readonly ILogger<WorkerCapacityGauge> _logger;
    private ImmutableArray<WorkerView> _workers = [];

    public WorkerCapacityGauge(IGrainFactory grains, ILogger<WorkerCapacityGauge> logger)
    {
        _grains = grains;
        _logger = logger;
        Gauge("corral.worker.cpu.capacity", "{cpu}", "CPUs a worker offers", w => w.Capacity.Cpu);
        Gauge("corral.worker.cpu.reserved", "{cpu}", "CPUs reserved by jobs on a worker", w => w.AllocatedCpu);
        Gauge("corral.worker.memory.capacity", "By", "Memory a worker offers", w => w.Capacity.MemoryBytes);
        Gauge("corral.worker.memory.reserved", "By", "Memory reserved by jobs on a worker", w => w.AllocatedMemoryBytes);
        Gauge("corral.worker.gpus.capacity", "{gpu}", "GPUs a worker offers", w => w.Capacity.Gpus.Length);
        Gauge("corral.worker.gpus.reserved", "{gpu}", "GPUs held by jobs on a worker", w => w.AllocatedGpuIds.Length);
        Gauge("corral.worker.jobs", "{job}", "Jobs placed on a worker", w => w.Jobs.Length);
        Gauge("corral.worker.accepting", "1", "1 while a worker is alive and not draining", w => w.AcceptsJobs ? 1 : 0);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every);
        do
        {
            try
            {
                _workers = await _grains.GetGrain<IDispatcherGrain>(0).GetWorkersAsync();
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                // Before this silo joined, or while the dispatcher moves: the last figures stay until the next read.
                LogReadFailed(error.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private void Gauge(string name, string unit, string description, Func<WorkerView, double> value) =>
        Meter.CreateObservableGauge(name, () => _workers.Select(w =>
            new Measurement<double>(value(w), new KeyValuePair<string, object?>("worker", w.Name))), unit, description);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reading the workers for /metrics failed: {Error}")]
    private partial void LogReadFailed(string error);
}
