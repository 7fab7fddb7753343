using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using Corral.Hosting;
using Corral.HostAgent.Containers;
using Corral.HostAgent.Logs;
using Corral.Jobs;
using Docker.DotNet;
using Npgsql;

namespace Corral.Benchmarks.Logs;

/// <summary>
/// The end-to-end log path with the real pieces: a job container (built by the product's
/// <see cref="ContainerSpecBuilder"/>) writing coloured lines as fast as it can, followed through the engine's log
/// API (<see cref="ContainerRuntime.FollowLogsAsync"/>), stripped, counted and stored by <see cref="LogPump"/> and
/// <see cref="LogStore"/> in a throwaway PostgreSQL database. The baseline is the same container output read from
/// the engine and thrown away: the most any consumer of the engine's log API can get on this machine. A third run
/// replays the engine's frames from memory into the same pump and store: what Corral's part of the path can take.
/// </summary>
public sealed class LogPipelineBenchmark(BenchmarkReport report)
{
    private const long ContainerBytes = 128L * 1024 * 1024;
    private const string Image = "corral/busybox:latest";
    private const string LinesVariable = "CORRAL_BENCH_LINES";
    private const double MiB = 1024 * 1024;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var lines = LogCorpus.Block(4096);
        var expectedStripped = StrippedLength(lines, ContainerBytes);
        using var docker = ContainerRuntime.Connect(BenchmarkEnvironment.DockerEndpoint);
        var runtime = new ContainerRuntime(docker);
        await using var database = await BenchmarkDatabase.CreateAsync("logs");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var pump = new LogPump(new LogStore(dataSource, TimeProvider.System));

        report.Note($"engine baseline: a container writes {ContainerBytes / MiB:0} MiB, read back and discarded");
        long drained = 0;
        var engine = await RunContainerAsync(docker, runtime, lines, async (_, stream) =>
        {
            var buffer = new byte[LogsSuite.ReadBytes];
            while (await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken) is { EOF: false } read)
            {
                drained += read.Count;
            }
        }, cancellationToken);
        Check(drained == ContainerBytes, $"the engine returned {drained} bytes, the container wrote {ContainerBytes}");

        report.Note("pipeline: the same output through LogPump and LogStore into PostgreSQL");
        LogQuotaMeter? meter = null;
        var pipeline = await RunContainerAsync(docker, runtime, lines, (jobId, stream) =>
        {
            meter = new LogQuotaMeter(0, TimeProvider.System);
            return pump.RunAsync(jobId, stream, meter, 0, () => Task.CompletedTask, cancellationToken);
        }, cancellationToken);
        var stored = await database.ScalarAsync<long>(
            "SELECT coalesce(sum(octet_length(content)), 0)::bigint FROM corral_job_logs WHERE job_id = $1", pipeline.JobId);
        var rows = await database.ScalarAsync<long>("SELECT count(*) FROM corral_job_logs WHERE job_id = $1", pipeline.JobId);
        Check(stored == expectedStripped, $"stored {stored} bytes, expected {expectedStripped} after stripping");
        Check(meter!.BytesTotal == stored, $"counted {meter.BytesTotal} bytes against the quota, stored {stored}");

        report.Note("pump and store alone: the engine's frames replayed from memory");
        var pattern = Encoding.UTF8.GetBytes(lines + "\n");
        var repeats = (int)(ContainerBytes / pattern.Length);
        var replayId = "bench" + Guid.NewGuid().ToString("N");
        var replayMeter = new LogQuotaMeter(0, TimeProvider.System);
        var replayStarted = Stopwatch.GetTimestamp();
        using (var replay = new MultiplexedStream(new ReplayedLogStream(ReplayedLogStream.FramePerLine(pattern), repeats), multiplexed: true))
        {
            await pump.RunAsync(replayId, replay, replayMeter, 0, () => Task.CompletedTask, cancellationToken);
        }

        var replaySeconds = Stopwatch.GetElapsedTime(replayStarted).TotalSeconds;
        var replayStored = await database.ScalarAsync<long>(
            "SELECT coalesce(sum(octet_length(content)), 0)::bigint FROM corral_job_logs WHERE job_id = $1", replayId);
        Check(replayStored == AnsiStripper.StripAll(pattern).Length * (long)repeats, $"replay stored {replayStored} bytes");

        var engineRate = ContainerBytes / MiB / engine.Seconds;
        var pipelineRate = ContainerBytes / MiB / pipeline.Seconds;
        report.Figure("logs.engine_ingest_mib_per_s", ContainerBytes / MiB / engine.ContainerSeconds);
        report.Figure("logs.engine_read_mib_per_s", engineRate);
        report.Figure("logs.pipeline_mib_per_s", pipelineRate);
        report.Figure("logs.pipeline_stored_mib_per_s", stored / MiB / pipeline.Seconds);
        report.Figure("logs.pipeline_rows", rows);
        report.Ratio("logs.pipeline_vs_engine_ratio", pipelineRate, engineRate);
        report.Figure("logs.pump_mib_per_s", (double)pattern.Length * repeats / MiB / replaySeconds);
    }

    private sealed record ContainerRun(string JobId, double Seconds, double ContainerSeconds);

    /// <summary>Starts a container that writes <see cref="ContainerBytes"/> of <paramref name="lines"/> and times <paramref name="consume"/> from its start.</summary>
    private static async Task<ContainerRun> RunContainerAsync(
        DockerClient docker, ContainerRuntime runtime, string lines,
        Func<string, MultiplexedStream, Task> consume, CancellationToken cancellationToken)
    {
        var jobId = "bench" + Guid.NewGuid().ToString("N");
        var spec = new JobSpec(
            "benchmark", Image, ["sh", "-c", $"yes \"${LinesVariable}\" | head -c {ContainerBytes}"], JobKind.Batch,
            ImmutableDictionary<string, string>.Empty.Add(LinesVariable, lines), ResourceRequest.None, null);
        var limits = new EffectiveLimits(Environment.ProcessorCount, 256L * 1024 * 1024, 64, [], null, []);
        // A worker name no running HostAgent uses, so none adopts this container.
        var launch = new JobLaunch(jobId, "benchmark", spec, limits, "corral-benchmark");
        var containerId = await runtime.CreateAndStartAsync(ContainerSpecBuilder.Build(launch), cancellationToken);
        try
        {
            var started = Stopwatch.GetTimestamp();
            using (var stream = await runtime.FollowLogsAsync(containerId, null, cancellationToken))
            {
                await consume(jobId, stream);
            }

            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var exit = await runtime.WaitAsync(containerId, cancellationToken);
            Check(exit.ExitCode == 0, $"the benchmark container exited with {exit.ExitCode}");
            var state = (await docker.Containers.InspectContainerAsync(containerId, cancellationToken)).State;
            var ran = DateTimeOffset.Parse(state.FinishedAt, System.Globalization.CultureInfo.InvariantCulture)
                - DateTimeOffset.Parse(state.StartedAt, System.Globalization.CultureInfo.InvariantCulture);
            return new ContainerRun(jobId, seconds, ran.TotalSeconds);
        }
        finally
        {
            await runtime.RemoveAsync(containerId);
        }
    }

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
