using System.Collections.Concurrent;
using System.Diagnostics;
using Corral.Hosting;
using Corral.HostAgent.Containers;
using Corral.HostAgent.Logs;
using Corral.Jobs;
using Docker.DotNet;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent.Jobs;

/// <summary>
/// Runs and watches the job containers of this host: create with caps, pump logs, enforce the log quota,
/// wait for the exit, and report every step to the job's grain until the grain has it.
/// </summary>
public sealed partial class JobSupervisor(
    ContainerRuntime runtime,
    ContainerLauncher launcher,
    LogStore logs,
    LogPump pump,
    LogSourceSelector logSources,
    JobOutputFiles outputs,
    JobReporter reporter,
    IEnumerable<IJobMonitor> monitors,
    HostAgentSettings settings,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    ILogger<JobSupervisor> logger)
{
    private static readonly TimeSpan CounterReportInterval = TimeSpan.FromSeconds(2);

    /// <summary>How long a job's start waits for an engine that does not answer (restarting) before the job fails.</summary>
    private static readonly TimeSpan EngineAwayLimit = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan EngineRetryDelay = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, SupervisedJob> _jobs = new(StringComparer.Ordinal);

    private CancellationToken Stopping => lifetime.ApplicationStopping;

    /// <summary>
    /// Starts the job in the background; a second start of the same attempt does nothing. A container of an earlier
    /// attempt (adopted after this agent came back from a crash, its worker lost meanwhile) is killed instead, and
    /// this attempt starts at the job grain's next try, once that container is gone: they share a name and a MAC.
    /// </summary>
    public void Start(JobLaunch launch)
    {
        var job = new SupervisedJob(launch.JobId, launch.Worker, HostJobPhase.Starting, launch.Attempt);
        if (_jobs.TryAdd(launch.JobId, job))
        {
            _ = Task.Run(() => RunAsync(job, launch));
        }
        else if (_jobs.TryGetValue(launch.JobId, out var earlier) && earlier.Attempt < launch.Attempt)
        {
            var message = $"superseded by attempt {launch.Attempt}: its worker was lost";
            InBackground(launch.JobId, () => KillAsync(earlier, TerminationReason.WorkerLost, message));
        }
    }

    /// <summary>
    /// Records why the job stops and kills its container in the background. The engine can take seconds (a container
    /// still starting is killed only once its start is done), and neither the user's cancel nor this host's other
    /// jobs should wait for that. A kill that fails is logged; the orphan sweep tries again.
    /// </summary>
    public void Stop(string jobId, TerminationReason reason, string message)
    {
        if (_jobs.TryGetValue(jobId, out var job))
        {
            InBackground(jobId, () => KillAsync(job, reason, message));
        }
    }

    /// <summary>
    /// Sends the job's processes SIGTERM in the background, the container left running (a preemption's warning).
    /// Nothing for a job without a container or already being killed: its stop at the end of the grace is what counts.
    /// </summary>
    public void AskToStop(string jobId)
    {
        if (_jobs.TryGetValue(jobId, out var job) && job.ContainerId is { } containerId && job.KilledFor is null)
        {
            LogAskingToStop(jobId);
            InBackground(jobId, () => runtime.SignalAsync(containerId, "TERM"));
        }
    }

    public HostJobState Inspect(string jobId) =>
        _jobs.TryGetValue(jobId, out var job) ? job.State : HostJobState.Unknown;

    /// <summary>Takes over the containers a previous run of this agent left, found by their labels.</summary>
    public async Task AdoptAsync(CancellationToken cancellationToken)
    {
        var ours = (await runtime.ListJobContainersAsync(cancellationToken)).Where(c => c.Worker == settings.WorkerName).ToList();
        // Output files whose container is gone: the agent stopped between removing a container and its file.
        outputs.DeleteAllBut(ours.Select(c => c.JobId).ToHashSet(StringComparer.Ordinal));
        foreach (var container in ours)
        {
            if (!container.Running && await runtime.NeverStartedAsync(container.ContainerId, cancellationToken))
            {
                // The agent stopped between creating and starting it: nothing ran, so the job grain starts it afresh.
                await launcher.RemoveAsync(container.ContainerId, container.JobId);
                continue;
            }

            var job = new SupervisedJob(container.JobId, container.Worker, HostJobPhase.Running, container.Attempt)
            {
                ContainerId = container.ContainerId,
            };
            if (_jobs.TryAdd(job.JobId, job))
            {
                LogAdopted(job.JobId, container.Running);
                _ = Task.Run(() => SuperviseAsync(job));
            }
        }
    }

    private async Task RunAsync(SupervisedJob job, JobLaunch launch)
    {
        var watching = new List<IAsyncDisposable>();
        SshEndpoint? ssh = null;
        var startedAt = Stopwatch.GetTimestamp();
        TimeSpan created = default, monitored = default;
        // Monitors attach before the container starts, so nothing it does (its first packet, say) goes unwatched; those
        // that need no container (the egress chains) while it is created.
        var early = StartMonitorsAsync(job, monitor => monitor.StartsBeforeCreate);
        try
        {
            var prepared = await CreateOnceEngineAnswersAsync(job, launch);
            job.ContainerId = prepared.ContainerId;
            created = Stopwatch.GetElapsedTime(startedAt);
            watching = await early;
            watching.AddRange(await StartMonitorsAsync(job, monitor => !monitor.StartsBeforeCreate));
            monitored = Stopwatch.GetElapsedTime(startedAt);
            // Stopped (cancelled, say) or refused by a monitor while it was being created: it never starts.
            if (job.KilledFor is null)
            {
                ssh = await launcher.StartAsync(prepared, Stopping);
            }
        }
        // IOException and UnauthorizedAccessException: the job's output file could not be made (a full disk, say).
        catch (Exception error) when (error is DockerApiException or HttpRequestException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            LogStartFailed(job.JobId, error.Message);
            // The early monitors too when the create failed before they were taken up.
            await DisposeAllAsync(watching.Count > 0 ? watching : await StartedOrNoneAsync(early));
            var outcome = JobOutcome.Killed(TerminationReason.ContainerError, $"could not start the container: {FirstLine(error.Message)}");
            await FinishAsync(job, outcome);
            Forget(job);
            return;
        }

        if (job.KilledFor is { } refused)
        {
            await DisposeAllAsync(watching);
            await FinishAsync(job, JobOutcome.Killed(refused.Reason, refused.Message));
            await launcher.RemoveAsync(job.ContainerId, job.JobId);
            Forget(job);
            return;
        }

        if (!TryMove(job, HostJobPhase.Running, null))
        {
            await DisposeAllAsync(watching);
            return;
        }

        // Where a start's time goes on this host, for an operator comparing it with `docker run`.
        var total = Stopwatch.GetElapsedTime(startedAt);
        LogStarted(job.JobId, total.TotalMilliseconds, created.TotalMilliseconds, (monitored - created).TotalMilliseconds, (total - monitored).TotalMilliseconds);
        await reporter.SendAsync(job.JobId, grain => grain.ReportRunningAsync(job.Worker, ssh), Stopping);
        await SuperviseAsync(job, watching);
    }

    /// <summary>
    /// Creates the job's container; an engine that does not answer (a restart) is waited for, up to
    /// <see cref="EngineAwayLimit"/>, rather than failing every job that comes while it is down. A failed create
    /// leaves nothing behind (the launcher removes its output and workspace), so it can be tried again.
    /// </summary>
    private async Task<PreparedContainer> CreateOnceEngineAnswersAsync(SupervisedJob job, JobLaunch launch)
    {
        var giveUpAt = clock.GetUtcNow() + EngineAwayLimit;
        while (true)
        {
            try
            {
                return await launcher.CreateAsync(launch, Stopping);
            }
            catch (Exception error) when (ContainerRuntime.IsEngineAway(error) && job.KilledFor is null && clock.GetUtcNow() < giveUpAt)
            {
                LogEngineAway(job.JobId, error.Message);
                await Task.Delay(EngineRetryDelay, clock, Stopping);
            }
        }
    }

    private async Task SuperviseAsync(SupervisedJob job, List<IAsyncDisposable>? watching = null)
    {
        var containerId = job.ContainerId!;
        try
        {
            // Adopted: the container exists, so every monitor starts at once.
            watching ??= await StartMonitorsAsync(job, _ => true);
            // Counting resumes from what is stored, so a restarted agent keeps this hour's count.
            var progress = await logs.GetProgressAsync(job.JobId, LogQuotaMeter.HourOf(clock.GetUtcNow()), Stopping);
            job.Meter = new LogQuotaMeter(settings.LogQuotaPerJobHour, clock, progress.BytesSince, progress.BytesTotal);
            using var counters = new PeriodicTimer(CounterReportInterval);
            var reporting = ReportCountersAsync(job, counters);
            var waiting = runtime.WaitAsync(containerId, Stopping);
            // Reading goes on from where the stored log ends, also for a container a previous run was reading.
            var pumping = PumpLogsAsync(job, containerId, progress, waiting);
            var exit = await waiting;
            await pumping;
            await DisposeAllAsync(watching);

            counters.Dispose();
            await reporting;
            var outcome = job.KilledFor is { } killed
                ? JobOutcome.Killed(killed.Reason, killed.Message, exit.ExitCode)
                : OutcomeOf(exit, job.Worker);
            // The final counters go with the outcome: reported apart, they could be lost or come after it.
            await FinishAsync(job, outcome with { Counters = CountersOf(job) });
            await launcher.RemoveAsync(containerId, job.JobId);
            Forget(job);
        }
        catch (OperationCanceledException) when (Stopping.IsCancellationRequested)
        {
            // The agent is shutting down; the container keeps running and the next agent run adopts it.
        }
    }

    /// <summary>Starts the <paramref name="chosen"/> monitors: those that start before the container is created, the others, or all.</summary>
    private async Task<List<IAsyncDisposable>> StartMonitorsAsync(SupervisedJob job, Func<IJobMonitor, bool> chosen)
    {
        var context = new JobMonitorContext(job, (reason, message) => KillAsync(job, reason, message));
        // At once: each waits on its own thing (the firewall, the engine, the disk), and the job's start waits on all.
        var starting = monitors.Where(chosen).Select(monitor => monitor.StartAsync(context, Stopping)).ToList();
        try
        {
            return [.. await Task.WhenAll(starting)];
        }
        catch
        {
            // The monitors that did start are stopped again, so a failed start leaves no rules or watchers behind.
            await DisposeAllAsync([.. starting.Where(s => s.IsCompletedSuccessfully).Select(s => s.Result)]);
            throw;
        }
    }

    /// <summary>What a start of monitors gave, or none when it failed (it stopped what it had started then).</summary>
    private static async Task<List<IAsyncDisposable>> StartedOrNoneAsync(Task<List<IAsyncDisposable>> starting)
    {
        try
        {
            return await starting;
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            return [];
        }
    }

    private static async Task DisposeAllAsync(List<IAsyncDisposable> monitors)
    {
        foreach (var monitor in monitors)
        {
            await monitor.DisposeAsync();
        }
    }

    private async Task PumpLogsAsync(SupervisedJob job, string containerId, LogProgress stored, Task exited)
    {
        try
        {
            var (source, stripper) = await logSources.OpenAsync(job.JobId, containerId, stored, exited, Stopping);
            using (source)
            {
                var rawBound = new RawOutputBound(settings.JobOutputMaxBytesPerHour, clock, () => KillAsync(
                    job,
                    TerminationReason.OutputQuotaExceeded,
                    $"wrote {settings.JobOutputMaxBytesPerHour} output bytes this hour, escape sequences included (JOB_OUTPUT_MAX_BYTES_PER_HOUR)"));
                await pump.RunAsync(job.JobId, source, job.Meter!, stored.NextSeq, stripper, () => KillAsync(
                    job,
                    TerminationReason.LogQuotaExceeded,
                    $"wrote more than {job.Meter!.QuotaPerHour} log bytes this hour (LOG_QUOTA_PER_JOB_HOUR)"), rawBound, Stopping);
            }
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            LogPumpFailed(job.JobId, error.Message);
        }
    }

    private async Task ReportCountersAsync(SupervisedJob job, PeriodicTimer timer)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(Stopping))
            {
                await SendCountersAsync(job);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task SendCountersAsync(SupervisedJob job)
    {
        if (CountersOf(job) is { } counters)
        {
            await reporter.TrySendAsync(job.JobId, grain => grain.ReportCountersAsync(counters));
        }
    }

    private static JobCounters? CountersOf(SupervisedJob job)
    {
        if (job.Meter is not { } meter)
        {
            return null;
        }

        var (thisHour, total) = meter.Snapshot();
        return new JobCounters(thisHour, total, job.EgressBytes, job.CpuSeconds);
    }

    private async Task KillAsync(SupervisedJob job, TerminationReason reason, string message)
    {
        if (!job.TryMarkKilled(reason, message))
        {
            return;
        }

        LogKilling(job.JobId, reason, message);
        if (job.ContainerId is { } containerId)
        {
            await runtime.KillAsync(containerId);
        }
    }

    private void InBackground(string jobId, Func<Task> kill) => _ = Task.Run(async () =>
    {
        try
        {
            await kill();
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            LogKillFailed(jobId, error.Message);
        }
    });

    private async Task FinishAsync(SupervisedJob job, JobOutcome outcome)
    {
        // An outcome is reported once: a second end of the same job is refused and logged.
        if (!TryMove(job, HostJobPhase.Exited, outcome))
        {
            return;
        }

        LogExited(job.JobId, outcome.ExitCode, outcome.Reason);
        var reported = outcome with { Attempt = job.Attempt };
        await reporter.SendAsync(job.JobId, grain => grain.CompleteAsync(job.Worker, reported), Stopping);
    }

    /// <summary>
    /// Stops supervising the job once its container and output are removed, not before: a later attempt of the same
    /// job starts only then, so the earlier one's clean-up never removes what the later one made.
    /// </summary>
    private void Forget(SupervisedJob job) => _jobs.TryRemove(new KeyValuePair<string, SupervisedJob>(job.JobId, job));

    /// <summary>Moves the job's phase as <see cref="HostJobLifecycle"/> allows; an illegal move is refused and logged.</summary>
    private bool TryMove(SupervisedJob job, HostJobPhase to, JobOutcome? outcome)
    {
        if (job.TryMove(to, outcome, out var from))
        {
            return true;
        }

        LogMoveRefused(job.JobId, from, to);
        return false;
    }

    /// <summary>
    /// The job's end as its container's exit says it. A failure while the engine was away is put down to the host, not
    /// the job (an engine without live-restore stops its containers when it stops): the container was lost, which the
    /// job grain treats as a lost worker, retried when the job's spec asks (retry.onWorkerLost).
    /// </summary>
    private static JobOutcome OutcomeOf(ContainerExit exit, string worker) => exit is { DuringEngineOutage: true, ExitCode: not 0, OomKilled: false }
        ? JobOutcome.Killed(
            TerminationReason.WorkerLost,
            $"the Docker engine on worker '{worker}' stopped while the job ran and ended its container (exit code {exit.ExitCode}; an engine without live-restore stops its containers)",
            exit.ExitCode)
        : JobOutcome.FromExit(exit.ExitCode, exit.OomKilled);

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    [LoggerMessage(Level = LogLevel.Information, Message = "Adopted container of job {JobId} (running: {Running})")]
    private partial void LogAdopted(string jobId, bool running);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: container could not start: {Error}")]
    private partial void LogStartFailed(string jobId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the Docker engine does not answer; its start waits for it: {Error}")]
    private partial void LogEngineAway(string jobId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: log pump stopped: {Error}")]
    private partial void LogPumpFailed(string jobId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: asking its processes to stop (SIGTERM); the container is stopped at the end of its grace")]
    private partial void LogAskingToStop(string jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: container running {TotalMs:0} ms after the launch (created in {CreateMs:0} ms, monitors attached in {MonitorsMs:0} ms, started in {StartMs:0} ms)")]
    private partial void LogStarted(string jobId, double totalMs, double createMs, double monitorsMs, double startMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: killing container ({Reason}): {Message}")]
    private partial void LogKilling(string jobId, TerminationReason reason, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: could not kill its container yet: {Error}")]
    private partial void LogKillFailed(string jobId, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: refused to move its container from {From} to {To}")]
    private partial void LogMoveRefused(string jobId, HostJobPhase from, HostJobPhase to);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: container exited (code {ExitCode}, reason {Reason})")]
    private partial void LogExited(string jobId, int? exitCode, TerminationReason? reason);
}
