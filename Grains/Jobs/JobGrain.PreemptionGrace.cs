using Microsoft.Extensions.Logging;

namespace Corral.Jobs;

/// <summary>
/// A preempted job's grace (SERVICE_&lt;NAME&gt;_PREEMPTION_GRACE_SECONDS), as Slurm's GraceTime: a running job chosen
/// for preemption is first sent SIGTERM and keeps its slot and its room on the worker; it is stopped and requeued
/// when it exits (having saved a checkpoint, say) or when the grace ends, whichever comes first. Without a grace
/// the job is stopped at once. The grace comes with the quota's message (the service's setting or an admin's
/// run-time override when the job is chosen).
/// </summary>
public sealed partial class JobGrain
{
    private IGrainTimer? _graceEnd;

    /// <summary>
    /// True while the job is in its grace, the warning sent (the caller stops there); false when the preemption goes
    /// on now: no grace for this service, the job not running (nothing of it to save yet), or its grace over. Safe to
    /// repeat: the quota asks its victims again until they are requeued.
    /// </summary>
    private async Task<bool> InPreemptionGraceAsync(string reason, TimeSpan grace)
    {
        if (S.PreemptStopAt is { } stopAt)
        {
            if (clock.GetUtcNow() >= stopAt)
            {
                return false;
            }

            ScheduleGraceEnd();
            return true;
        }

        if (grace <= TimeSpan.Zero || S.Status != JobStatus.Running)
        {
            return false;
        }

        S.PreemptStopAt = clock.GetUtcNow() + grace;
        S.PreemptReason = reason;
        S.Message = $"{reason}: asked to stop (SIGTERM); stopped in {grace.TotalSeconds:0} s if still running";
        // Saved before the warning goes out, so a new activation keeps the grace's end rather than starting another.
        await SaveAsync();
        LogGraceStarted(Id, grace.TotalSeconds);
        await PublishAsync();
        try
        {
            if (await LiveHostAsync() is { } host)
            {
                await host.AskToStopAsync(Id);
            }
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // Only the warning is lost: the stop at the grace's end does not depend on it.
            LogAdvanceFailed(Id, S.Status, error.Message);
        }

        ScheduleGraceEnd();
        return true;
    }

    /// <summary>Whether an exit report is the job ending itself during its grace: it is requeued, not finished.</summary>
    private bool EndedInGrace(JobOutcome outcome) =>
        S.PreemptStopAt is not null && S.Status == JobStatus.Running && outcome.Reason is null or TerminationReason.ExitCode;

    /// <summary>Preempts the job at the grace's end (in memory only: repeated after a new activation, see OnActivateAsync).</summary>
    private void ScheduleGraceEnd()
    {
        if (_graceEnd is not null || S.PreemptStopAt is not { } stopAt)
        {
            return;
        }

        var due = stopAt - clock.GetUtcNow();
        _graceEnd = this.RegisterGrainTimer(
            async _ =>
            {
                _graceEnd?.Dispose();
                _graceEnd = null;
                // A failure (the database away) is tried again by the health check (AdvanceAsync).
                await EndGraceIfDueAsync();
            },
            new GrainTimerCreationOptions(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    /// <summary>
    /// At the grace's end: stops and requeues the job if its quota still preempts it; otherwise (the preemption was
    /// called off, the job it made way for gone) the job runs on, its warning forgotten. False when no grace ended.
    /// </summary>
    private async Task<bool> EndGraceIfDueAsync()
    {
        if (S.PreemptStopAt is not { } stopAt || S.PreemptReason is not { } reason || JobStateMachine.IsTerminal(S.Status)
            || clock.GetUtcNow() < stopAt)
        {
            return false;
        }

        if (await Quota.IsPreemptingAsync(Id))
        {
            await PreemptNowAsync(reason);
            return true;
        }

        LogGraceCalledOff(Id);
        ForgetPreemptionGrace();
        S.Message = null;
        await SaveAsync();
        await PublishAsync();
        return true;
    }

    /// <summary>The grace belongs to one attempt: the next one starts without it.</summary>
    private void ForgetPreemptionGrace()
    {
        S.PreemptStopAt = null;
        S.PreemptReason = null;
        _graceEnd?.Dispose();
        _graceEnd = null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} preempted with a grace of {Seconds} s: asked to stop")]
    private partial void LogGraceStarted(string jobId, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: its preemption was called off during its grace; it runs on")]
    private partial void LogGraceCalledOff(string jobId);
}
