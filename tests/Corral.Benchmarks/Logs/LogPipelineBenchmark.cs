using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using Corral.Hosting;
using Corral.HostAgent.Containers;
using Corral.HostAgent.Logs;
using Corral.Jobs;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Corral.Benchmarks.Logs;

/// <summary>
/// The end-to-end log path with the real pieces: a job container (built by the product's
/// <see cref="ContainerSpecBuilder"/>) writing coloured lines as fast as it can, its json-file log followed on disk
/// (<see cref="LogSourceSelector"/>, <see cref="JsonFileLogSource"/>), stripped, counted and stored by
/// <see cref="LogPump"/> and <see cref="LogStore"/> in a throwaway PostgreSQL database.
/// </summary>
/// <remarks>
/// Baselines, each in the same run: how fast dockerd takes the container's output into its json-file log (the
/// container's run time: the ceiling of any reader of that log) and how fast the same container runs with no log
/// kept (<c>--log-driver none</c>: the container and the engine's pipes alone); the engine's log API read and
/// discarded (the path used before, and still the fallback); and the finished log file read again, decoded only,
/// then decoded into the pump and store (Corral's own part of the path). The same again with 4 KiB lines: a
/// realistic log has longer lines than the corpus's ~100 bytes, and dockerd's cost is per line.
/// </remarks>
public sealed class LogPipelineBenchmark(BenchmarkReport report)
{
    private const long ContainerBytes = 128L * 1024 * 1024;
    private const string Image = "corral/busybox:latest";
    private const string LinesVariable = "CORRAL_BENCH_LINES";
    private const double MiB = 1024 * 1024;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var docker = ContainerRuntime.Connect(BenchmarkEnvironment.DockerEndpoint);
        var runtime = new ContainerRuntime(docker);
        await using var database = await BenchmarkDatabase.CreateAsync("logs");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var context = new Context(docker, runtime, database, new LogPump(new LogStore(dataSource, TimeProvider.System)), cancellationToken);

        // `yes` repeats the block line by line: lines of the corpus (~100 bytes), or the block as one 4 KiB line.
        var shortLines = LogCorpus.Block(4096);
        await MeasureAsync(context, "", shortLines, withBaselines: true);
        await MeasureAsync(context, "_long_lines", shortLines.Replace('\n', ' '), withBaselines: false);
    }

    private async Task MeasureAsync(Context context, string suffix, string lines, bool withBaselines)
    {
        var expectedStripped = StrippedLength(lines, ContainerBytes);
        var cancellationToken = context.CancellationToken;

        report.Note($"{(suffix.Length == 0 ? "short" : "4 KiB")} lines, no log kept: the container and the engine's pipes alone");
        var unlogged = await RunContainerAsync(context, lines, "none", (_, _, exited) => exited);
        report.Figure($"logs.container_unlogged{suffix}_mib_per_s", ContainerBytes / MiB / unlogged.ContainerSeconds);

        if (withBaselines)
        {
            report.Note($"engine API baseline: a container writes {ContainerBytes / MiB:0} MiB, read back through the API and discarded");
            long drained = 0;
            var engine = await RunContainerAsync(context, lines, ContainerLogFile.JsonFileDriver, async (_, containerId, _) =>
            {
                using var stream = await context.Runtime.FollowLogsAsync(containerId, null, cancellationToken);
                var buffer = new byte[LogsSuite.ReadBytes];
                while (await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken) is { EOF: false } read)
                {
                    drained += read.Count;
                }
            });
            Check(drained == ContainerBytes, $"the engine returned {drained} bytes, the container wrote {ContainerBytes}");
            report.Figure("logs.engine_read_mib_per_s", ContainerBytes / MiB / engine.Seconds);
        }

        report.Note("pipeline: the json-file log followed on disk into LogPump and LogStore (PostgreSQL)");
        LogQuotaMeter? meter = null;
        string? logPath = null;
        var selector = new LogSourceSelector(context.Runtime, TimeProvider.System, NullLogger<LogSourceSelector>.Instance);
        var empty = new LogProgress(0, 0, 0, null);
        var pipeline = await RunContainerAsync(context, lines, ContainerLogFile.JsonFileDriver, async (jobId, containerId, exited) =>
        {
            var (source, stripper) = await selector.OpenAsync(jobId, containerId, empty, adopted: false, exited, cancellationToken);
            using (source)
            {
                Check(source is JsonFileLogSource, $"the selector chose {source.GetType().Name}, not the log file");
                meter = new LogQuotaMeter(0, TimeProvider.System);
                await context.Pump.RunAsync(jobId, source, meter, 0, stripper, () => Task.CompletedTask, cancellationToken);
            }

            logPath = (await context.Runtime.InspectLogFileAsync(containerId, cancellationToken)).Path;
        }, afterwards: containerId => MeasureFinishedFileAsync(context, logPath!, expectedStripped, suffix));
        var stored = await StoredBytesAsync(context.Database, pipeline.JobId);
        var rows = await context.Database.ScalarAsync<long>("SELECT count(*) FROM corral_job_logs WHERE job_id = $1", pipeline.JobId);
        Check(stored == expectedStripped, $"stored {stored} bytes, expected {expectedStripped} after stripping");
        Check(meter!.BytesTotal == stored, $"counted {meter.BytesTotal} bytes against the quota, stored {stored}");

        var ingestRate = ContainerBytes / MiB / pipeline.ContainerSeconds;
        var pipelineRate = ContainerBytes / MiB / pipeline.Seconds;
        report.Figure($"logs.engine_ingest{suffix}_mib_per_s", ingestRate);
        report.Figure($"logs.pipeline{suffix}_mib_per_s", pipelineRate);
        report.Figure($"logs.pipeline{suffix}_stored_mib_per_s", stored / MiB / pipeline.Seconds);
        report.Figure($"logs.pipeline{suffix}_rows", rows);
        report.Ratio($"logs.pipeline{suffix}_vs_ingest_ratio", pipelineRate, ingestRate);
    }

    /// <summary>The finished log file read again: decoded and discarded, then decoded into the pump and the store.</summary>
    private async Task MeasureFinishedFileAsync(Context context, string path, long expectedStripped, string suffix)
    {
        var fileBytes = new FileInfo(path).Length;
        var buffer = new byte[JsonFileLogSource.MaxEntryBytes];
        long decoded = 0;
        var started = Stopwatch.GetTimestamp();
        using (var source = new JsonFileLogSource(path, 0, Task.CompletedTask))
        {
            while (await source.ReadAsync(buffer, context.CancellationToken) is var count and > 0)
            {
                decoded += count;
            }
        }

        var readSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Check(decoded == ContainerBytes, $"the log file decodes to {decoded} bytes, the container wrote {ContainerBytes}");
        report.Figure($"logs.file_read{suffix}_mib_per_s", ContainerBytes / MiB / readSeconds);
        report.Figure($"logs.file{suffix}_bytes_per_output_byte", (double)fileBytes / ContainerBytes);

        var replayId = "bench" + Guid.NewGuid().ToString("N");
        started = Stopwatch.GetTimestamp();
        using (var source = new JsonFileLogSource(path, 0, Task.CompletedTask))
        {
            await context.Pump.RunAsync(
                replayId, source, new LogQuotaMeter(0, TimeProvider.System), 0, new AnsiStripper(), () => Task.CompletedTask, context.CancellationToken);
        }

        var pumpSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var stored = await StoredBytesAsync(context.Database, replayId);
        Check(stored == expectedStripped, $"the replayed file stored {stored} bytes, expected {expectedStripped}");
        report.Figure($"logs.pump{suffix}_mib_per_s", ContainerBytes / MiB / pumpSeconds);
    }

    private sealed record Context(
        DockerClient Docker, ContainerRuntime Runtime, BenchmarkDatabase Database, LogPump Pump, CancellationToken CancellationToken);

    private sealed record ContainerRun(string JobId, double Seconds, double ContainerSeconds);

    /// <summary>
    /// Starts a container that writes <see cref="ContainerBytes"/> of <paramref name="lines"/> with the log driver
    /// <paramref name="driver"/>, and times <paramref name="consume"/> (job id, container id, exit) from its start.
    /// </summary>
    private static async Task<ContainerRun> RunContainerAsync(
        Context context, string lines, string driver, Func<string, string, Task, Task> consume, Func<string, Task>? afterwards = null)
    {
        var jobId = "bench" + Guid.NewGuid().ToString("N");
        var spec = new JobSpec(
            "benchmark", Image, ["sh", "-c", $"yes \"${LinesVariable}\" | head -c {ContainerBytes}"], JobKind.Batch,
            ImmutableDictionary<string, string>.Empty.Add(LinesVariable, lines), ResourceRequest.None, null);
        var limits = new EffectiveLimits(Environment.ProcessorCount, 256L * 1024 * 1024, 64, [], null, []);
        // A worker name no running HostAgent uses, so none adopts this container.
        var launch = new JobLaunch(jobId, "benchmark", spec, limits, "corral-benchmark");
        var parameters = ContainerSpecBuilder.Build(launch);
        parameters.HostConfig.LogConfig = new LogConfig { Type = driver };
        var cancellationToken = context.CancellationToken;
        var containerId = await context.Runtime.CreateAsync(parameters, cancellationToken);
        try
        {
            var started = Stopwatch.GetTimestamp();
            await context.Runtime.StartAsync(containerId, cancellationToken);
            var exited = context.Runtime.WaitAsync(containerId, cancellationToken);
            await consume(jobId, containerId, exited);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var exit = await exited;
            Check(exit.ExitCode == 0, $"the benchmark container exited with {exit.ExitCode}");
            if (afterwards is not null)
            {
                await afterwards(containerId);
            }

            var state = (await context.Docker.Containers.InspectContainerAsync(containerId, cancellationToken)).State;
            var ran = DateTimeOffset.Parse(state.FinishedAt, System.Globalization.CultureInfo.InvariantCulture)
                - DateTimeOffset.Parse(state.StartedAt, System.Globalization.CultureInfo.InvariantCulture);
            return new ContainerRun(jobId, seconds, ran.TotalSeconds);
        }
        finally
        {
            await context.Runtime.RemoveAsync(containerId);
        }
    }

    private static Task<long> StoredBytesAsync(BenchmarkDatabase database, string jobId) =>
        database.ScalarAsync<long>("SELECT coalesce(sum(octet_length(content)), 0)::bigint FROM corral_job_logs WHERE job_id = $1", jobId);

    /// <summary>What the stripper leaves of the container's output: `yes` repeats the lines, `head -c` cuts it.</summary>
    private static long StrippedLength(string lines, long total)
    {
        var pattern = Encoding.UTF8.GetBytes(lines + "\n");
        var output = new byte[pattern.Length];
        var stripper = new AnsiStripper();
        long stripped = 0;
        for (long at = 0; at < total; at += pattern.Length)
        {
            var length = (int)Math.Min(pattern.Length, total - at);
            stripped += stripper.Strip(pattern.AsSpan(0, length), output);
        }

        return stripped;
    }

    private static void Check(bool condition, string failure)
    {
        if (!condition)
        {
            throw new InvalidOperationException("logs benchmark: " + failure);
        }
    }
}
