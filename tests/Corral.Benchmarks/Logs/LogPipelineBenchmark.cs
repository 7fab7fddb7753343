using System.Collections;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using Corral.Benchmarks.Live;
using Corral.Configuration;
using Corral.Hosting;
using Corral.HostAgent;
using Corral.HostAgent.Containers;
using Corral.HostAgent.Logs;
using Corral.Jobs;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Corral.Benchmarks.Logs;

/// <summary>
/// The end-to-end log path with the real pieces: a job container built by the product's
/// <see cref="ContainerSpecBuilder"/> (its output going through corral-run into its output file) writing as fast as it
/// can, the file followed (<see cref="LogSourceSelector"/>, <see cref="OutputFileLogSource"/>), stripped, counted and
/// stored by <see cref="LogPump"/> and <see cref="LogStore"/> in a throwaway PostgreSQL database. Timed from the
/// container's start (the engine's <c>StartedAt</c>) to the last row stored; also from before the start request, with
/// the engine's set-up of the container, which is not the log path's but weighs a few hundred ms.
/// </summary>
/// <remarks>
/// Three writers. The headline: <c>cat</c> of a 256 MiB coloured log (<see cref="LogCorpus"/>), the fastest a program
/// can write it. Then <c>yes | head -c</c> repeating ~100-byte lines and 4 KiB lines, with the engine's own path beside
/// each as a baseline in the same run: the same container without corral-run, its output taken by dockerd into a
/// json-file log (the container's run time, the ceiling of any reader of that log; the path before corral-run).
/// And the finished output file read again alone, then into the pump and the store: Corral's own part of the path.
/// </remarks>
public sealed class LogPipelineBenchmark(BenchmarkReport report)
{
    // Enough that the container's start (a few hundred ms, inside the timing) weighs little.
    private const int ContainerBytes = 256 * 1024 * 1024;
    private const int CorpusBlockBytes = 32 * 1024 * 1024;
    private const string Image = "corral/busybox:latest";
    private const string CorpusInContainer = "/corpus.log";
    private const string LinesVariable = "CORRAL_BENCH_LINES";
    private const double MiB = 1024 * 1024;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var docker = ContainerRuntime.Connect(BenchmarkEnvironment.DockerEndpoint);
        var runtime = new ContainerRuntime(docker);
        await using var database = await BenchmarkDatabase.CreateAsync("logs");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var folder = Directory.CreateTempSubdirectory("corral-bench-logs-");
        try
        {
            var outputs = new JobOutputFiles(HostAgentSettings.Read(new SettingsReader(new Hashtable
            {
                // A worker name no running host agent uses, so none adopts these containers.
                ["CORRAL_WORKER_NAME"] = "corral-benchmark",
                ["JOB_OUTPUT_DIR"] = folder.FullName,
            })));
            outputs.EnsureReady();
            // The generated log repeated: the repeats are far beyond any compressor's window, so they cost the same.
            var block = LogCorpus.Generate(CorpusBlockBytes)[..CorpusBlockBytes];
            var corpus = new byte[ContainerBytes];
            for (var at = 0; at < corpus.Length; at += block.Length)
            {
                block.CopyTo(corpus.AsSpan(at));
            }

            var corpusPath = Path.Combine(folder.FullName, "corpus.log");
            await File.WriteAllBytesAsync(corpusPath, corpus, cancellationToken);
            var context = new Context(
                docker, runtime, outputs, database, new LogPump(new LogStore(dataSource, TimeProvider.System)), corpusPath, cancellationToken);

            // Unmeasured: one block through the pump and store, so the first measured run is not also compiling them.
            var warmUp = Path.Combine(folder.FullName, "warm-up.log");
            await File.WriteAllBytesAsync(warmUp, block, cancellationToken);
            using (var source = new OutputFileLogSource(warmUp, 0, Task.CompletedTask))
            {
                await context.Pump.RunAsync(
                    "bench-warm-up", source, new LogQuotaMeter(0, TimeProvider.System), 0, new AnsiStripper(), () => Task.CompletedTask, null, cancellationToken);
            }

            report.Note($"pipeline: a container cats {ContainerBytes / MiB:0} MiB of coloured log into its output file, followed into LogPump and LogStore (PostgreSQL)");
            var catCorpus = new Writer("cat", ["cat", CorpusInContainer], null, AnsiStripper.StripAll(corpus).Length);
            await MeasurePipelineAsync(context, catCorpus, replay: true);

            var shortLines = LogCorpus.Block(4096);
            foreach (var (name, lines) in new[] { ("short_lines", shortLines), ("long_lines", shortLines.Replace('\n', ' ')) })
            {
                var writer = new Writer(name, ["sh", "-c", $"yes \"${LinesVariable}\" | head -c {ContainerBytes}"], lines, StrippedLength(lines, ContainerBytes));
                report.Note($"{name}: `yes | head -c` through corral-run into the pipeline, and into dockerd's json-file log as the baseline");
                var pipeline = await MeasurePipelineAsync(context, writer, replay: false);
                var ingest = await RunContainerAsync(context, writer, throughEngine: true, (_, _, _) => Task.CompletedTask);
                var ingestRate = ContainerBytes / MiB / ingest.ContainerSeconds;
                report.Figure($"logs.engine_ingest_{name}_mib_per_s", ingestRate);
                report.Ratio($"logs.pipeline_{name}_vs_engine_ingest_ratio", pipeline, ingestRate);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>Runs <paramref name="writer"/> through the whole pipeline, checks what was stored, returns MiB/s.</summary>
    private async Task<double> MeasurePipelineAsync(Context context, Writer writer, bool replay)
    {
        LogQuotaMeter? meter = null;
        var selector = new LogSourceSelector(context.Runtime, NullLogger<LogSourceSelector>.Instance);
        var empty = new LogProgress(0, 0, 0, null);
        var readerCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var machineBusy = CpuMeter.MachineTimes().Busy;
        var run = await RunContainerAsync(context, writer, throughEngine: false, async (jobId, containerId, exited) =>
        {
            var (source, stripper) = await selector.OpenAsync(jobId, containerId, empty, exited, context.CancellationToken);
            using (source)
            {
                Check(source is OutputFileLogSource, $"the selector chose {source.GetType().Name}, not the output file");
                meter = new LogQuotaMeter(0, TimeProvider.System);
                await context.Pump.RunAsync(jobId, source, meter, 0, stripper, () => Task.CompletedTask, null, context.CancellationToken);
            }

            readerCpu = Process.GetCurrentProcess().TotalProcessorTime - readerCpu;
            machineBusy = CpuMeter.MachineTimes().Busy - machineBusy;
        }, afterwards: replay ? jobId => MeasureFinishedFileAsync(context, context.Outputs.PathFor(jobId), writer.StrippedBytes) : null);
        var stored = await StoredBytesAsync(context.Database, run.JobId);
        var rows = await context.Database.ScalarAsync<long>("SELECT count(*) FROM corral_job_logs WHERE job_id = $1", run.JobId);
        Check(stored == writer.StrippedBytes, $"stored {stored} bytes, expected {writer.StrippedBytes} after stripping");
        Check(meter!.BytesTotal == stored, $"counted {meter.BytesTotal} bytes against the quota, stored {stored}");

        var suffix = writer.Name == "cat" ? string.Empty : "_" + writer.Name;
        var rate = ContainerBytes / MiB / run.Seconds;
        report.Figure($"logs.pipeline{suffix}_mib_per_s", rate);
        report.Figure($"logs.pipeline{suffix}_with_engine_start_mib_per_s", ContainerBytes / MiB / run.SecondsWithEngineStart);
        report.Figure($"logs.pipeline{suffix}_stored_mib_per_s", stored / MiB / run.Seconds);
        report.Figure($"logs.pipeline{suffix}_writer_mib_per_s", ContainerBytes / MiB / run.ContainerSeconds);
        report.Figure($"logs.pipeline{suffix}_rows", rows);
        // CPU per MiB moves far less than rates when the machine is shared: the reader's (this process: read, strip,
        // count, hand to Npgsql) and the whole machine's (with the writer, PostgreSQL, the kernel, and whatever else
        // runs here at the time).
        report.Figure($"logs.pipeline{suffix}_reader_cpu_ms_per_mib", readerCpu.TotalMilliseconds / (ContainerBytes / MiB));
        report.Figure($"logs.pipeline{suffix}_machine_cpu_ms_per_mib", machineBusy.TotalMilliseconds / (ContainerBytes / MiB));

        return rate;
    }

    /// <summary>The finished output file read again: alone, then into the pump and the store.</summary>
    private async Task MeasureFinishedFileAsync(Context context, string path, long expectedStripped)
    {
        var buffer = new byte[256 * 1024];
        long read = 0;
        var started = Stopwatch.GetTimestamp();
        using (var source = new OutputFileLogSource(path, 0, Task.CompletedTask))
        {
            while (await source.ReadAsync(buffer, context.CancellationToken) is var count and > 0)
            {
                read += count;
            }
        }

        var readSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Check(read == ContainerBytes, $"the output file holds {read} bytes, the container wrote {ContainerBytes}");
        report.Figure("logs.file_read_mib_per_s", ContainerBytes / MiB / readSeconds);

        var replayId = "bench" + Guid.NewGuid().ToString("N");
        started = Stopwatch.GetTimestamp();
        using (var source = new OutputFileLogSource(path, 0, Task.CompletedTask))
        {
            await context.Pump.RunAsync(
                replayId, source, new LogQuotaMeter(0, TimeProvider.System), 0, new AnsiStripper(), () => Task.CompletedTask, null, context.CancellationToken);
        }

        var pumpSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var stored = await StoredBytesAsync(context.Database, replayId);
        Check(stored == expectedStripped, $"the replayed file stored {stored} bytes, expected {expectedStripped}");
        report.Figure("logs.pump_mib_per_s", ContainerBytes / MiB / pumpSeconds);
    }

    private sealed record Context(
        DockerClient Docker, ContainerRuntime Runtime, JobOutputFiles Outputs, BenchmarkDatabase Database, LogPump Pump,
        string CorpusPath, CancellationToken CancellationToken);

    /// <summary>A container command writing <see cref="ContainerBytes"/>; <paramref name="Lines"/> is what `yes` repeats.</summary>
    private sealed record Writer(string Name, ImmutableArray<string> Command, string? Lines, long StrippedBytes);

    /// <summary>
    /// How long it took from the container's process start (the engine's <c>StartedAt</c>, same clock) to the end of
    /// <c>consume</c>; the same from before the start request (with the engine's set-up of the container); and how
    /// long the container itself ran.
    /// </summary>
    private sealed record ContainerRun(string JobId, double Seconds, double SecondsWithEngineStart, double ContainerSeconds);

    /// <summary>
    /// Starts a container running <paramref name="writer"/> and times <paramref name="consume"/> (job id, container id, exit) from
    /// its start; then runs <paramref name="afterwards"/> (job id), untimed, before the output file is deleted.
    /// <paramref name="throughEngine"/>: without corral-run, the output going to dockerd's json-file log.
    /// </summary>
    private static async Task<ContainerRun> RunContainerAsync(
        Context context, Writer writer, bool throughEngine, Func<string, string, Task, Task> consume, Func<string, Task>? afterwards = null)
    {
        var jobId = "bench" + Guid.NewGuid().ToString("N");
        var env = writer.Lines is null ? ImmutableDictionary<string, string>.Empty : ImmutableDictionary<string, string>.Empty.Add(LinesVariable, writer.Lines);
        var spec = new JobSpec("benchmark", Image, writer.Command, JobKind.Batch, env, ResourceRequest.None, null);
        var limits = new EffectiveLimits(Environment.ProcessorCount, 256L * 1024 * 1024, 64, [], null, []);
        var launch = new JobLaunch(jobId, "benchmark", spec, limits, "corral-benchmark");
        var parameters = ContainerSpecBuilder.Build(launch, new JobEntry(context.Outputs.Create(jobId), JobOutputFiles.RunnerPath, []));
        parameters.HostConfig.Mounts.Add(new Mount { Type = "bind", Source = context.CorpusPath, Target = CorpusInContainer, ReadOnly = true });
        if (throughEngine)
        {
            parameters.Entrypoint = null;
            parameters.Cmd = [.. writer.Command];
            parameters.HostConfig.LogConfig = new LogConfig { Type = "json-file" };
        }

        var cancellationToken = context.CancellationToken;
        var containerId = await context.Runtime.CreateAsync(parameters, cancellationToken);
        try
        {
            var started = Stopwatch.GetTimestamp();
            await context.Runtime.StartAsync(containerId, cancellationToken);
            var exited = context.Runtime.WaitAsync(containerId, cancellationToken);
            await consume(jobId, containerId, exited);
            var exit = await exited;
            var done = DateTimeOffset.UtcNow;
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Check(exit.ExitCode == 0, $"the benchmark container exited with {exit.ExitCode}");
            if (afterwards is not null)
            {
                await afterwards(jobId);
            }

            var state = (await context.Docker.Containers.InspectContainerAsync(containerId, cancellationToken)).State;
            var startedAt = DateTimeOffset.Parse(state.StartedAt, System.Globalization.CultureInfo.InvariantCulture);
            var ran = DateTimeOffset.Parse(state.FinishedAt, System.Globalization.CultureInfo.InvariantCulture) - startedAt;
            return new ContainerRun(jobId, (done - startedAt).TotalSeconds, seconds, ran.TotalSeconds);
        }
        finally
        {
            await context.Runtime.RemoveAsync(containerId);
            context.Outputs.Delete(jobId);
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
