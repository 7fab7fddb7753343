using Corral.Feeds;
using Corral.Hosting;
using Corral.Quotas;
using Corral.Telemetry;
using Corral.Users;
using Corral.Workers;
using Microsoft.Extensions.Logging;

namespace Corral.Jobs;

/// <inheritdoc cref="IJobGrain"/>
/// <remarks>
/// Every transition is persisted before anyone is told. Messages that come back to this grain (admission,
/// assignment) are one-way, and <see cref="AdvanceAsync"/> re-drives the job from its persisted status on a
/// timer while the grain is active and when the job reconciler wakes it (<see cref="ReconcileAsync"/>, which
/// finds unfinished jobs in storage after a crash), so a message lost in a crash only delays a job, never strands it.
/// </remarks>
public sealed partial class JobGrain(
    [PersistentState("job", GrainStorage.Name)] IPersistentState<JobState> state,
    IJobIndex index,
    QuotaOptions options,
    NoCapacityPolicy noCapacity,
    TimeProvider clock,
    ILogger<JobGrain> logger) : Grain, IJobGrain
{
    private static readonly TimeSpan HealthCheckPeriod = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long past a job's maximum duration the grain waits for its host agent (which ends it on time, counting
    /// from the container's start) before ending it itself.
    /// </summary>
    private static readonly TimeSpan DeadlineGrace = TimeSpan.FromSeconds(15);

    private IGrainTimer? _healthCheck;
    private IGrainTimer? _sessionEnd;
    private IGrainTimer? _placeAgain;

    // What the quota answered when this job last asked to be admitted, so the view it returns on submission shows the
    // wait without asking again (a second trip through the quota grains, which every job of the service shares).
    private QueueWait? _lastWait;

    // Starts in a row that found the worker unreachable (in memory: a new activation starts from the first wait).
    private int _unreachableStarts;

    private JobState S => state.State;

    private string Id => this.GetPrimaryKeyString();

    /// <summary>The attempt the job is on: states written before retries hold 0, their first.</summary>
    private int Attempt => Math.Max(1, S.Attempt);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (S.Spec is not null && !JobStateMachine.IsTerminal(S.Status))
        {
            _healthCheck = this.RegisterGrainTimer(
                _ => AdvanceSafelyAsync(), new GrainTimerCreationOptions(HealthCheckPeriod, HealthCheckPeriod));
            ScheduleSessionEnd();
            ScheduleGraceEnd();
        }

        return Task.CompletedTask;
    }

    public async Task<JobView> SubmitAsync(string user, JobSpec spec)
    {
        if (S.Spec is not null)
        {
            return await ViewAsync();
        }

        // The user grain keeps the services the user ran; the job's row in the index is written with its state.
        await GrainFactory.GetGrain<IUserGrain>(user).AddJobAsync(Id, spec.Service);
        // The service's default and ceiling decide the duration the job runs under; the spec carries it from here on,
        // settled again at admission by the limits then in force, an admin's run-time change included (SettleDuration).
        var maxDuration = options.MaxDurationFor(spec.Service, spec.MaxDurationSeconds);
        var lowered = spec.MaxDurationSeconds is { } asked && maxDuration < asked
            ? $"maxDurationSeconds lowered to {maxDuration}, the service's ceiling"
            : null;
        S.User = user;
        S.Spec = spec with { MaxDurationSeconds = maxDuration };
        S.AskedMaxDurationSeconds = spec.MaxDurationSeconds ?? 0;
        S.SubmittedAt = clock.GetUtcNow();
        S.Status = JobStatus.Queued;
        S.History.Add(new JobTransition(JobStatus.Queued, S.SubmittedAt, lowered));
        await SaveAsync();
        JobMetrics.RecordSubmitted(spec.Service);
        _healthCheck ??= this.RegisterGrainTimer(
            _ => AdvanceSafelyAsync(), new GrainTimerCreationOptions(HealthCheckPeriod, HealthCheckPeriod));
        await AdvanceAsync();
        var view = await ViewAsync(_lastWait);
        if (S.Status == JobStatus.Queued)
        {
            // Not admitted: announce it waiting. An admitted job was announced by its move to pending, whose view
            // carries the queued step in its history.
            await PublishAsync(view);
        }

        return view;
    }

    public async Task<JobView?> GetAsync() => S.Spec is null ? null : await ViewAsync();

    public async Task<JobView> CancelAsync()
    {
        if (S.Spec is null || JobStateMachine.IsTerminal(S.Status))
        {
            return await ViewAsync();
        }

        var was = S.Status;
        await FinishAsync(JobStatus.Cancelled, TerminationReason.CancelledByUser, "cancelled by the user", null);
        if (was == JobStatus.Pending)
        {
            await Dispatcher.RemoveAsync(Id);
        }
        else if (was is JobStatus.Starting or JobStatus.Running)
        {
            await StopOnHostAsync(TerminationReason.CancelledByUser, "cancelled by the user");
        }

        return await ViewAsync();
    }

    public async Task<JobView?> ChangePriorityAsync(JobPriority priority)
    {
        if (S.Spec is null || S.Status != JobStatus.Queued)
        {
            return null;
        }

        // The queue first: it decides the order. A crash before the spec is written leaves the view one step behind
        // the queue, never the other way round.
        if (S.Spec.Priority != priority && !await Quota.ReprioritizeAsync(Id, priority))
        {
            return null;
        }

        S.Spec = S.Spec with { Priority = priority };
        await SaveAsync();
        var view = await ViewAsync();
        await PublishAsync(view);
        return view;
    }

    public async Task AdmitAsync()
    {
        // A job never submitted (no stored state) has nothing to admit.
        if (S.Spec is not null && S.Status == JobStatus.Queued)
        {
            await AdvanceAsync();
        }
    }

    public async Task AssignAsync(string worker, EffectiveLimits limits)
    {
        if (S.Status != JobStatus.Pending)
        {
            // Already placed there (a repeated message), or no longer wanted: give the room back.
            if (S.Worker != worker || JobStateMachine.IsTerminal(S.Status))
            {
                await GrainFactory.GetGrain<IWorkerGrain>(worker).ReleaseAsync(Id);
            }

            return;
        }

        S.Worker = worker;
        S.Limits = limits;
        S.Message = null;
        S.UnplaceableSince = null;
        await MoveAsync(JobStatus.Starting, $"placed on worker '{worker}'");
        await StartOnHostAsync();
    }

    public async Task PreemptAsync(string reason, int graceSeconds = 0)
    {
        if (S.Spec is null || JobStateMachine.IsTerminal(S.Status) || await InPreemptionGraceAsync(reason, TimeSpan.FromSeconds(graceSeconds)))
        {
            return;
        }

        await PreemptNowAsync(reason);
    }

    /// <summary>Stops the current attempt (if any) and requeues the job; its slot goes to the job it was promised to.</summary>
    private async Task PreemptNowAsync(string reason)
    {
        if (S.Status is JobStatus.Pending or JobStatus.Starting or JobStatus.Running)
        {
            var was = S.Status;
            // A new attempt: the stopped container's exit report (the old attempt's) is ignored, so the job does not end.
            S.StopOnWorker = S.Worker;
            BeginNextAttempt();
            S.Preemptions++;
            _placeAgain?.Dispose();
            _placeAgain = null;
            await MoveAsync(JobStatus.Queued, reason);
            LogPreempted(Id, reason);
            if (was == JobStatus.Pending)
            {
                await Dispatcher.RemoveAsync(Id);
            }
        }

        // Stops the old attempt, then gives the slot back to the quota, which requeues the job (repeated until done).
        await AdvanceAsync();
    }

    /// <summary>
    /// Settles the job's maximum duration again by the service's limits in force: the settings and the admin's
    /// run-time overrides, which the quota's answer carries (kept by the quota grains the job asks anyway, so a
    /// submission makes no call of its own for them, and every silo's jobs see the same values). Done on every answer,
    /// so a waiting job's view shows the limit it will run under, and the one at admission is the one that holds.
    /// In memory: the caller saves it. Returns the history note when the limit changed.
    /// </summary>
    private string? SettleDuration(LimitOverrides? overrides)
    {
        // 0: it asked for none; null: a state from before the ask was kept, whose settled limit stands in for it.
        var asked = S.AskedMaxDurationSeconds switch { null => S.Spec!.MaxDurationSeconds, 0 => null, var seconds => seconds };
        var settled = Quotas.EffectiveLimits.MaxDuration(options, S.Spec!.Service, asked, overrides);
        if (settled == S.Spec.MaxDurationSeconds)
        {
            return null;
        }

        S.Spec = S.Spec with { MaxDurationSeconds = settled };
        return $"maxDurationSeconds settled at {settled}, by the service's limits in force at admission";
    }

    /// <summary>
    /// Stops a preempted attempt's container and gives its worker's room back, once: saved before the job asks for a
    /// slot again, so the next attempt never meets the old one's stop.
    /// </summary>
    private async Task StopPreemptedAttemptAsync()
    {
        if (S.StopOnWorker is not { } worker)
        {
            return;
        }

        try
        {
            if (await LiveHostAsync(worker) is { } host)
            {
                await host.StopAsync(Id, TerminationReason.CancelledByUser, "preempted");
            }
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // As a cancel: the host agent removes containers of jobs that moved on when it can reach us again.
            LogAdvanceFailed(Id, S.Status, error.Message);
        }

        await GrainFactory.GetGrain<IWorkerGrain>(worker).ReleaseAsync(Id);
        S.StopOnWorker = null;
        await SaveAsync();
    }

    public async Task NoteQueuePositionAsync(QueueWait wait)
    {
        if (S.Spec is not null && S.Status == JobStatus.Queued)
        {
            // The position is known here: no need to ask the quota grain, which is busy sending these notices.
            await PublishAsync(await ViewAsync(wait));
        }
    }

    public async Task NotePendingAsync(string message)
    {
        if (S.Status == JobStatus.Pending && (S.Message != message || S.UnplaceableSince is not null))
        {
            // A worker that could hold the job is there: the no-capacity clock stops.
            S.Message = message;
            S.UnplaceableSince = null;
            await SaveAsync();
            await PublishAsync();
        }
    }

    public async Task NoteNoCapacityAsync(string message)
    {
        if (S.Status != JobStatus.Pending)
        {
            return;
        }

        if (S.Message != message || S.UnplaceableSince is null)
        {
            // The clock starts at the first such note and runs on while the notes only change their wording.
            S.UnplaceableSince ??= noCapacity.Clock.GetUtcNow();
            S.Message = message;
            await SaveAsync();
            await PublishAsync();
        }

        await FailIfNoCapacityAsync();
    }

    public async Task ReportRunningAsync(string worker, SshEndpoint? ssh)
    {
        if (S.Status != JobStatus.Starting || S.Worker != worker)
        {
            return;
        }

        S.Ssh = ssh;
        S.StartedAt = clock.GetUtcNow();
        _unreachableStarts = 0;
        await MoveAsync(JobStatus.Running, null);
        ScheduleSessionEnd();
    }

    public async Task ReportCountersAsync(JobCounters counters)
    {
        // Counters are taken even after the job ended: the final figures may arrive after the exit report.
        var before = S.Counters;
        if (S.Spec is null || !TakeCounters(counters))
        {
            return;
        }

        await ReportTimeToQuotaAsync();
        var cpuOnly = S.Counters with { CpuSeconds = before.CpuSeconds } == before;
        _cpuSecondsSaved ??= before.CpuSeconds;
        if (cpuOnly && !JobStateMachine.IsTerminal(S.Status) && S.Counters.CpuSeconds - _cpuSecondsSaved < CpuSecondsPerWrite)
        {
            // A busy job's CPU time changes at every report: it is kept here and saved with the next write (its end
            // at the latest), so a running job is not written every two seconds for that alone.
            return;
        }

        _cpuSecondsSaved = S.Counters.CpuSeconds;
        // The job's row holds no counters: the state alone (the most frequent write of a running job).
        await state.WriteStateAsync();
        await PublishAsync();
    }

    /// <summary>CPU-seconds a running job's reports may add before they are saved for that alone.</summary>
    private const double CpuSecondsPerWrite = 10;

    private double? _cpuSecondsSaved;

    /// <summary>
    /// While the job runs in a service whose limits at its admission (settings or an admin's overrides) set a CPU- or
    /// GPU-seconds budget, tells its quota (one-way) its totals so far once either has grown by
    /// <see cref="SecondsPerTimeReport"/> since the last report, so the user's budget counts a long job while it runs,
    /// not only at its end. The quota counts only what is beyond what it
    /// counted, so a report repeated by a new activation (which starts from none) counts nothing twice. No budget: no
    /// call, so a busy service's counter reports cost nothing more.
    /// </summary>
    private Task ReportTimeToQuotaAsync()
    {
        if (S.Spec is null || S.Status is not (JobStatus.Starting or JobStatus.Running) || S.QuotaReleased)
        {
            return Task.CompletedTask;
        }

        var cpu = S.Counters.CpuSeconds;
        var gpu = GpuSeconds();
        // Decided at admission; a job admitted before that was kept follows the settings.
        if (!(S.BudgetCountsTime ?? options.BudgetFor(S.Spec.Service).CountsTime)
            || (cpu - _timeReported.CpuSeconds < SecondsPerTimeReport && gpu - _timeReported.GpuSeconds < SecondsPerTimeReport))
        {
            return Task.CompletedTask;
        }

        _timeReported = new CountedTime(cpu, gpu);
        return Quota.NoteRunningTimeAsync(Id, cpu, gpu);
    }

    /// <summary>CPU- or GPU-seconds a running job's time may grow by before its quota is told again.</summary>
    private const double SecondsPerTimeReport = 10;

    private CountedTime _timeReported = CountedTime.None;

    public async Task CompleteAsync(string worker, JobOutcome outcome)
    {
        // The container of an earlier attempt (an agent that came back after its worker was lost) is not this one.
        if (S.Spec is null || JobStateMachine.IsTerminal(S.Status) || S.Worker != worker || outcome.AttemptOrFirst != Attempt)
        {
            return;
        }

        if (S.Status == JobStatus.Starting && outcome.Reason is null or TerminationReason.ExitCode)
        {
            // The container ran and ended before its start was reported: record that it ran.
            S.StartedAt ??= clock.GetUtcNow();
            await MoveAsync(JobStatus.Running, null);
        }

        if (outcome.Counters is { } final)
        {
            // Written with the terminal state below.
            TakeCounters(final);
        }

        if (EndedInGrace(outcome))
        {
            // Warned of its preemption, it stopped by itself (a checkpoint saved, say): requeued now, not finished.
            await PreemptNowAsync(S.PreemptReason!);
            return;
        }

        if (outcome.Reason == TerminationReason.WorkerLost)
        {
            // The agent saw its host end the container (its Docker engine stopped without live-restore): the job lost
            // its container as with a lost worker, and runs again when its spec asks.
            await LoseWorkerAsync(outcome.Message ?? $"the container was lost on worker '{worker}'");
            return;
        }

        var status = outcome.Reason is null ? JobStatus.Succeeded : JobStatus.Failed;
        await FinishAsync(status, outcome.Reason, outcome.Message, outcome.ExitCode);
    }

    /// <summary>Takes a counters report into the state (not written yet); false when it changes nothing.</summary>
    private bool TakeCounters(JobCounters reported)
    {
        var counters = S.Counters.Then(reported);
        if (counters == S.Counters)
        {
            return false;
        }

        JobMetrics.RecordCounters(S.Spec!.Service, S.Counters, counters);
        S.Counters = counters;
        return true;
    }

    public async Task ReconcileAsync()
    {
        if (S.Spec is not null)
        {
            // The reconciler found the row unfinished: if the state says otherwise (a row that missed a write, or
            // one carried over from before the index), this corrects it, so the job is not woken again.
            await index.WriteRowAsync(JobRow.Of(Id, S));
        }

        await AdvanceSafelyAsync();
    }

    /// <summary>Moves the job forward from its persisted status. Safe to repeat: every step is idempotent.</summary>
    private async Task AdvanceAsync()
    {
        switch (S.Status)
        {
            case JobStatus.Queued:
                await StopPreemptedAttemptAsync();
                var decision = await Quota.EnqueueAsync(Id, S.Spec!.Priority);
                _lastWait = decision.Wait;
                if (decision.Admitted)
                {
                    S.BudgetCountsTime = Quotas.EffectiveLimits.Budget(options, S.Spec.Service, decision.Overrides).CountsTime;
                    await MoveAsync(JobStatus.Pending, SettleDuration(decision.Overrides));
                    await Dispatcher.EnqueueAsync(PlacementRequest());
                }
                else if (SettleDuration(decision.Overrides) is not null)
                {
                    // Waiting under an admin's run-time duration: its view says so now; admission settles it again.
                    await SaveAsync();
                }

                break;
            case JobStatus.Pending:
                // A job waiting out an unreachable worker (PlacementBackoff) is enqueued by its own timer.
                if (!await FailIfNoCapacityAsync() && _placeAgain is null)
                {
                    await Dispatcher.EnqueueAsync(PlacementRequest());
                }

                break;
            case JobStatus.Starting or JobStatus.Running:
                if (!await EndSessionIfDueAsync() && !await EndGraceIfDueAsync())
                {
                    await CheckOnHostAsync();
                }

                break;
            default:
                await ReleaseAsync();
                break;
        }
    }

    private async Task AdvanceSafelyAsync()
    {
        if (S.Spec is null)
        {
            return;
        }

        try
        {
            await AdvanceAsync();
            // A GPU job's time grows with the clock, whether or not its counters change.
            await ReportTimeToQuotaAsync();
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // Another grain or silo is unreachable right now; the next tick tries again.
            LogAdvanceFailed(Id, S.Status, error.Message);
        }
    }

    private async Task CheckOnHostAsync()
    {
        var host = await LiveHostAsync();
        if (host is null)
        {
            await LoseWorkerAsync($"worker '{S.Worker}' stopped reporting");
            return;
        }

        var seen = await host.InspectAsync(Id);
        // A container of an earlier attempt is not this attempt's: the agent ends it when asked to start this one.
        var phase = seen.AttemptOrFirst < Attempt ? HostJobPhase.Unknown : seen.Phase;
        switch (phase)
        {
            case HostJobPhase.Unknown when S.Status == JobStatus.Starting:
                await host.StartAsync(Launch());
                break;
            case HostJobPhase.Unknown:
                await LoseWorkerAsync($"the container is gone from worker '{S.Worker}'");
                break;
            case HostJobPhase.Exited when seen.Outcome is { } outcome:
                await CompleteAsync(S.Worker!, outcome);
                break;
        }
    }

    /// <summary>
    /// The job's worker, or its container, is gone. With a retry left (the spec's retry.onWorkerLost and
    /// maxAttempts) the job goes back to pending, keeping its id and its quota slot, at the head of the pending jobs;
    /// otherwise it fails worker_lost.
    /// </summary>
    private async Task LoseWorkerAsync(string why)
    {
        var worker = S.Worker!;
        if (S.Spec!.Retry is not { } retry || !retry.RetriesWorkerLost(Attempt))
        {
            var message = S.Spec.Retry is { OnWorkerLost: true } last ? $"{why} (attempt {Attempt} of {last.MaxAttempts})" : why;
            await FinishAsync(JobStatus.Failed, TerminationReason.WorkerLost, message, null);
            return;
        }

        // Released first: a crash before the move below repeats this step (the release is idempotent), while the
        // other order could leave the room held for a job that no longer runs there.
        await GrainFactory.GetGrain<IWorkerGrain>(worker).ReleaseAsync(Id);
        var next = BeginNextAttempt();
        await MoveAsync(JobStatus.Pending, $"attempt {next} of {retry.MaxAttempts}: worker '{worker}' was lost ({why})");
        LogRetrying(Id, next, retry.MaxAttempts, why);
        await Dispatcher.EnqueueAsync(PlacementRequest());
    }

    /// <summary>
    /// Forgets where and how the current attempt ran and counts the next one (in memory; the caller's move saves it):
    /// reports of the old attempt are ignored from here on. Returns the new attempt's number.
    /// </summary>
    private int BeginNextAttempt()
    {
        S.Attempt = Attempt + 1;
        S.Worker = null;
        S.Limits = null;
        S.StartedAt = null;
        S.Ssh = null;
        S.Message = null;
        S.UnplaceableSince = null;
        _sessionEnd?.Dispose();
        _sessionEnd = null;
        ForgetPreemptionGrace();
        return S.Attempt;
    }

    /// <summary>
    /// Fails a pending job that no live worker could ever hold for the whole grace period, giving its quota slot
    /// back; the message names what is short (the dispatcher's last note).
    /// </summary>
    private async Task<bool> FailIfNoCapacityAsync()
    {
        if (S.Status != JobStatus.Pending || S.UnplaceableSince is not { } since || !noCapacity.IsOver(since))
        {
            return false;
        }

        var message = $"no live worker could ever hold this job for {noCapacity.Grace.TotalSeconds:0} s: {S.Message}";
        await FinishAsync(JobStatus.Failed, TerminationReason.NoCapacity, message, null);
        await Dispatcher.RemoveAsync(Id);
        return true;
    }

    private async Task StartOnHostAsync()
    {
        try
        {
            var host = await LiveHostAsync();
            if (host is not null)
            {
                await host.StartAsync(Launch());
                return;
            }
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            LogAdvanceFailed(Id, S.Status, error.Message);
        }

        // The worker went away between reservation and start; nothing ran, so place the job again, after a wait.
        var worker = S.Worker!;
        S.Worker = null;
        S.Limits = null;
        var wait = PlacementBackoff.After(++_unreachableStarts);
        await MoveAsync(JobStatus.Pending, $"worker '{worker}' was unreachable; placing again in {wait.TotalSeconds:0} s");
        await GrainFactory.GetGrain<IWorkerGrain>(worker).ReleaseAsync(Id);
        SchedulePlacingAgain(wait);
    }

    private void SchedulePlacingAgain(TimeSpan wait)
    {
        _placeAgain?.Dispose();
        _placeAgain = this.RegisterGrainTimer(
            async _ =>
            {
                _placeAgain?.Dispose();
                _placeAgain = null;
                // Still waiting for a worker (not cancelled meanwhile): back to the dispatcher.
                if (S.Status == JobStatus.Pending && S.Worker is null)
                {
                    await Dispatcher.EnqueueAsync(PlacementRequest());
                }
            },
            new GrainTimerCreationOptions(wait, Timeout.InfiniteTimeSpan));
    }

    private async Task StopOnHostAsync(TerminationReason reason, string message)
    {
        try
        {
            if (await LiveHostAsync() is { } host)
            {
                await host.StopAsync(Id, reason, message);
            }
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // The host agent removes containers of ended jobs when it can reach us again.
            LogAdvanceFailed(Id, S.Status, error.Message);
        }
    }

    /// <summary>
    /// When a job with a maximum duration is overdue here: its host agent ends it at the limit (from the container's
    /// start); this is the grain's own check, a grace later, for an agent that could not.
    /// </summary>
    private DateTimeOffset? SessionDeadline() =>
        S.Spec?.MaxDurationSeconds is { } seconds && S.StartedAt is { } started ? started.AddSeconds(seconds) + DeadlineGrace : null;

    private void ScheduleSessionEnd()
    {
        if (_sessionEnd is not null || S.Status != JobStatus.Running || SessionDeadline() is not { } deadline)
        {
            return;
        }

        var due = deadline - clock.GetUtcNow();
        _sessionEnd = this.RegisterGrainTimer(
            async _ =>
            {
                _sessionEnd?.Dispose();
                _sessionEnd = null;
                if (!await EndSessionIfDueAsync())
                {
                    // A timer may fire a little early: wait for the rest.
                    ScheduleSessionEnd();
                }
            },
            new GrainTimerCreationOptions(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    /// <summary>
    /// Ends a job (batch or SSH session) that ran past its maximum duration: <c>max_duration_exceeded</c>, the reason
    /// the host agent gives when it ends it on time. The health check repeats this after a restart, so it holds.
    /// </summary>
    private async Task<bool> EndSessionIfDueAsync()
    {
        if (S.Status != JobStatus.Running || SessionDeadline() is not { } deadline || clock.GetUtcNow() < deadline)
        {
            return false;
        }

        var message = JobOutcome.MaxDurationMessage(S.Spec!.MaxDurationSeconds!.Value);
        await FinishAsync(JobStatus.Failed, TerminationReason.MaxDurationExceeded, message, null);
        try
        {
            if (await LiveHostAsync() is { } host)
            {
                await host.EndAsync(Id, message);
            }
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            LogAdvanceFailed(Id, S.Status, error.Message);
        }

        return true;
    }

    private Task<IHostGrain?> LiveHostAsync() => LiveHostAsync(S.Worker!);

    private async Task<IHostGrain?> LiveHostAsync(string worker)
    {
        var key = await GrainFactory.GetGrain<IWorkerGrain>(worker).GetLiveHostKeyAsync();
        return key is null ? null : GrainFactory.GetGrain<IHostGrain>(key);
    }

    private async Task FinishAsync(JobStatus status, TerminationReason? reason, string? message, int? exitCode)
    {
        S.Reason = reason;
        S.Message = message;
        S.ExitCode = exitCode;
        S.FinishedAt = clock.GetUtcNow();
        await MoveAsync(status, message);
        LogFinished(Id, status, reason, message);
        _healthCheck?.Dispose();
        _healthCheck = null;
        _sessionEnd?.Dispose();
        _sessionEnd = null;
        _graceEnd?.Dispose();
        _graceEnd = null;
        await ReleaseAsync();
    }

    /// <summary>Gives back the quota slot and the worker's room, once each; after that the reconciler leaves the job be.</summary>
    /// <remarks>
    /// Both flags are written together, after both releases: each release is idempotent, so a crash in between
    /// only repeats one, and a job's end costs one write here instead of two.
    /// </remarks>
    private async Task ReleaseAsync()
    {
        // A job cancelled while it was being preempted: its old attempt is stopped too.
        await StopPreemptedAttemptAsync();
        if (!S.QuotaReleased || !S.WorkerReleased)
        {
            if (!S.QuotaReleased)
            {
                // Its CPU time weighs on its user's next turns in a service shared by usage (FairAdmission), and it
                // and its GPU time count against the service's budgets (UsageBudget).
                await Quota.ReleaseAsync(Id, S.Counters.CpuSeconds, GpuSeconds());
                S.QuotaReleased = true;
            }

            if (!S.WorkerReleased && S.Worker is { } worker)
            {
                await GrainFactory.GetGrain<IWorkerGrain>(worker).ReleaseAsync(Id);
            }

            S.WorkerReleased = true;
            await SaveAsync();
        }
    }

    /// <summary>Writes the state and the job's row in the job index, in one commit where the store allows.</summary>
    /// <summary>
    /// Writes the state with its index row. After a failed write the memory is ahead of what is stored (or, if the
    /// commit landed unseen, the version it holds is behind), so the grain deactivates and the next call starts again
    /// from what is stored instead of acting on a state nobody kept.
    /// </summary>
    private async Task SaveAsync()
    {
        try
        {
            await index.SaveAsync(JobRow.Of(Id, S), state.WriteStateAsync);
        }
        catch
        {
            DeactivateOnIdle();
            throw;
        }
    }

    private async Task MoveAsync(JobStatus to, string? note)
    {
        if (!JobStateMachine.CanMove(S.Status, to))
        {
            throw new InvalidOperationException($"Job {Id} cannot move from {S.Status} to {to}.");
        }

        var from = S.Status;
        S.Status = to;
        S.History.Add(new JobTransition(to, clock.GetUtcNow(), note));
        await SaveAsync();
        JobMetrics.RecordMove(S);
        if (from == JobStatus.Queued)
        {
            // One-way: the user's count of waiting jobs (USER_MAX_QUEUED_JOBS) drops by this one.
            await GrainFactory.GetGrain<IUserGrain>(S.User!).LeftQueueAsync(Id);
        }
        else if (to == JobStatus.Queued)
        {
            // Preempted: it waits again, and leaves the queue once more when admitted.
            await GrainFactory.GetGrain<IUserGrain>(S.User!).ReturnedToQueueAsync(Id);
        }

        await PublishAsync();
    }

    /// <summary>
    /// Tells the user's live feed (and through it, admins) how the job looks now. Awaited, so events keep their
    /// order; a feed that cannot be reached never fails the transition, which is already persisted.
    /// </summary>
    /// <param name="view">The view when the caller has just built it; otherwise it is built here.</param>
    private async Task PublishAsync(JobView? view = null)
    {
        try
        {
            await Feed.PublishJobAsync(view ?? await ViewAsync());
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            LogPublishFailed(Id, error.Message);
        }
    }

    /// <param name="knownWait">Where the job waits, when the quota grain just said so; otherwise it is asked.</param>
    private async Task<JobView> ViewAsync(QueueWait? knownWait = null)
    {
        var spec = S.Spec!;
        // A waiting job's message says what holds it ("waiting: service cap 10/10").
        var wait = S.Status == JobStatus.Queued ? knownWait ?? await Quota.GetWaitAsync(Id) : null;
        return new JobView(
            Id, S.User!, spec.Service, spec.Kind, S.Status, S.Reason, wait?.Reason ?? S.Message, S.ExitCode, S.Worker, wait?.Position,
            S.SubmittedAt, S.StartedAt, S.FinishedAt, spec.Resources, S.Limits,
            S.Counters.LogBytesThisHour, S.Counters.LogBytesTotal, S.Counters.EgressBytes, S.Ssh,
            spec.Image, spec.Command, [.. S.History], spec.Priority, spec.MaxDurationSeconds, Attempt, spec.Retry,
            S.Counters.CpuSeconds, GpuSeconds(), S.Preemptions);
    }

    /// <summary>GPUs held times the seconds the job has run (until now, while it runs).</summary>
    private double GpuSeconds() => S.StartedAt is { } started && S.Spec!.Resources.GpuCount > 0
        ? S.Spec.Resources.GpuCount * Math.Max(0, ((S.FinishedAt ?? clock.GetUtcNow()) - started).TotalSeconds)
        : 0;

    private JobLaunch Launch() => new(Id, S.User!, S.Spec!, S.Limits!, S.Worker!, Attempt);

    private PlacementRequest PlacementRequest() =>
        new(Id, S.User!, S.Spec!.Kind, S.Spec.Resources, S.Spec.Image, Attempt);

    // References are kept: the user and service never change once submitted, and making a reference reads the
    // interface's attributes each time (several times per job on every job's path).
    private QuotaRoute Quota => _quota ??= new QuotaRoute(GrainFactory, options, S.User!, S.Spec!.Service);

    private QuotaRoute? _quota;

    private IDispatcherGrain Dispatcher => _dispatcher ??= GrainFactory.GetGrain<IDispatcherGrain>(0);

    private IDispatcherGrain? _dispatcher;

    private IUserFeedGrain Feed => _feed ??= GrainFactory.GetGrain<IUserFeedGrain>(S.User!);

    private IUserFeedGrain? _feed;

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} ended {Status} ({Reason}): {Message}")]
    private partial void LogFinished(string jobId, JobStatus status, TerminationReason? reason, string? message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: worker lost, placing attempt {Attempt} of {MaxAttempts}: {Why}")]
    private partial void LogRetrying(string jobId, int attempt, int maxAttempts, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: {Reason}")]
    private partial void LogPreempted(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: live update not delivered: {Error}")]
    private partial void LogPublishFailed(string jobId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} ({Status}) could not move on yet: {Error}")]
    private partial void LogAdvanceFailed(string jobId, JobStatus status, string error);
}
