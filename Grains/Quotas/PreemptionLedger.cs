using Corral.Jobs;
using Corral.Scheduling;
using Microsoft.Extensions.Logging;

namespace Corral.Quotas;

/// <summary>
/// A quota grain's preemptions (SERVICE_&lt;NAME&gt;_PREEMPTION), kept in its state (<see cref="IPreemptionState"/>):
/// what each held job weighs, the victims chosen and the job each one's slot is promised to, and the timer that keeps
/// asking victims until they are requeued or end. Used by a capped service's one grain (<see cref="ServiceQuotaGrain"/>)
/// and by each user's grain of a service without a cap (<see cref="QuotaGrain"/>); the grain decides who is waiting and
/// what its limits allow, this type the rest.
/// </summary>
/// <remarks>
/// A promise stands only while the job it is made to still waits: once that job leaves the line (cancelled, or admitted
/// through another slot), the victim is called off. One not yet told is never told; one already told stops and asks its
/// quota again, finds its slot still its own and goes back to pending at once. A new choice made in the same write may
/// pick it again for another waiting job.
/// </remarks>
internal sealed partial class PreemptionLedger(
    IGrainBase grain,
    IGrainFactory grains,
    Func<IPreemptionState> state,
    string service,
    Func<Task> stored,
    Func<int> graceSeconds,
    ILogger logger)
{
    /// <summary>How often victims that have not yet been requeued are asked again (a one-way message may be lost).</summary>
    private static readonly TimeSpan RetryPeriod = TimeSpan.FromSeconds(10);

    private IGrainTimer? _retry;

    private IPreemptionState S => state();

    public bool IsVictim(string jobId) => S.Preempting.ContainsKey(jobId);

    /// <summary>Remembers what preemption weighs of a job just admitted: its priority, admission order and arrival number.</summary>
    public void NoteAdmitted(WaitingJob job) => S.Admitted[job.JobId] = new AdmittedJob(job.Priority, S.NextAdmission++, job.Seq);

    /// <summary>
    /// A job gave its slot back (it ended): forgets it, and answers the preemption it was the victim of, if any, whose
    /// promised job should now get the slot.
    /// </summary>
    public PreemptionUnderway? Released(string jobId)
    {
        S.Admitted.Remove(jobId);
        return S.Preempting.Remove(jobId, out var promised) ? promised : null;
    }

    /// <summary>
    /// A victim stopped and asks again: it is no longer preempted; answers the preemption (whose promised job gets the
    /// slot) and the arrival number it waits under again, its old one where known (first among its equals).
    /// </summary>
    public (PreemptionUnderway? Promised, long? Seq) Requeued(string jobId)
    {
        S.Preempting.Remove(jobId, out var promised);
        return (promised, S.Admitted.Remove(jobId, out var was) ? was.Seq : null);
    }

    /// <summary>The job a victim's slot was promised to, if it still waits; the grain admits it if its limits allow.</summary>
    public static WaitingJob? Promised(PreemptionUnderway? promised, WaitingQueue waiting) =>
        promised is null ? null : waiting.Find(promised.ForJob);

    /// <summary>
    /// Calls off every preemption whose promised job no longer waits (see the remarks), then, when
    /// <paramref name="waitingHigh"/> is given, chooses the victims that make way for those jobs
    /// (<see cref="Preemption.ChooseVictims"/>) and notes them; the caller saves, then asks them
    /// (<see cref="AskAsync"/>). Answers the victims chosen, and whether anything changed.
    /// </summary>
    /// <param name="cap">The service's cap on running jobs (none: <see cref="int.MaxValue"/>).</param>
    /// <param name="perUserLimit">Each user's own quota on the service.</param>
    /// <param name="waiting">Every waiting job: a promise to a job not here is called off.</param>
    /// <param name="holders">Every job holding a slot, with its user.</param>
    /// <param name="waitingHigh">The high-priority jobs that may preempt, first served first; null when preemption is off.</param>
    public (List<string> Victims, bool Changed) Choose(
        int cap, int perUserLimit, WaitingQueue waiting, IEnumerable<(string User, string JobId)> holders, IEnumerable<WaitingJob>? waitingHigh)
    {
        var calledOff = S.Preempting.Where(p => !waiting.Contains(p.Value.ForJob)).Select(p => p.Key).ToList();
        foreach (var victim in calledOff)
        {
            S.Preempting.Remove(victim);
            LogCalledOff(logger, victim, service);
        }

        var promised = S.Preempting.Values.Select(p => p.ForJob).ToHashSet(StringComparer.Ordinal);
        var candidates = waitingHigh?.Where(j => !promised.Contains(j.JobId)).ToList() ?? [];
        if (candidates.Count == 0)
        {
            return ([], calledOff.Count > 0);
        }

        var held = holders
            .Select(h => S.Admitted.TryGetValue(h.JobId, out var a)
                ? new HeldJob(h.JobId, h.User, a.Priority, a.Admission)
                : new HeldJob(h.JobId, h.User, JobPriority.Normal, -1))
            .ToList();
        var underway = S.Preempting.Select(p => (p.Key, p.Value.ForUser)).ToList();
        var chosen = Preemption.ChooseVictims(cap, perUserLimit, held, underway, candidates);
        foreach (var (victim, waitingJob) in chosen)
        {
            S.Preempting[victim.JobId] = new PreemptionUnderway(victim.User, waitingJob.JobId, waitingJob.User, waitingJob.Priority);
            LogPreempting(logger, victim.JobId, victim.User, service, waitingJob.JobId, waitingJob.User);
        }

        return ([.. chosen.Select(c => c.Victim.JobId)], calledOff.Count > 0 || chosen.Count > 0);
    }

    /// <summary>Tells the chosen victims (one-way), and keeps asking every unfinished one until it is requeued or ends.</summary>
    public async Task AskAsync(IEnumerable<string> victims)
    {
        foreach (var victim in victims)
        {
            await AskOneAsync(victim);
        }

        KeepAsking();
    }

    /// <summary>Asks a victim (one-way), unless another call saw it requeued, ended or called off meanwhile.</summary>
    private Task AskOneAsync(string victim) =>
        S.Preempting.TryGetValue(victim, out var promised)
            ? grains.GetGrain<IJobGrain>(victim).PreemptAsync(Preemption.Reason(promised.ForJob, promised.ForPriority, service), graceSeconds())
            : Task.CompletedTask;

    /// <summary>Starts the timer that asks the victims again while any is under way (also on activation).</summary>
    public void KeepAsking()
    {
        if (S.Preempting.Count == 0 || _retry is not null)
        {
            return;
        }

        _retry = grain.RegisterGrainTimer(
            async _ =>
            {
                if (S.Preempting.Count == 0)
                {
                    _retry?.Dispose();
                    _retry = null;
                    return;
                }

                // Only once their choice is stored: a victim is never told before that.
                var asking = S.Preempting.Keys.ToList();
                await stored();
                foreach (var victim in asking)
                {
                    await AskOneAsync(victim);
                }
            },
            new GrainTimerCreationOptions(RetryPeriod, RetryPeriod));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Service '{Service}': job {JobId} of {User} is preempted for job {ForJob} of {ForUser}")]
    private static partial void LogPreempting(ILogger logger, string jobId, string user, string service, string forJob, string forUser);

    [LoggerMessage(Level = LogLevel.Information, Message = "Service '{Service}': preemption of job {JobId} called off, the job its slot was promised to no longer waits")]
    private static partial void LogCalledOff(ILogger logger, string jobId, string service);
}
