using Corral.Jobs;

namespace Corral.Scheduling;

/// <summary>
/// Which running jobs of a service make way for waiting jobs of a higher priority
/// (SERVICE_&lt;NAME&gt;_PREEMPTION). A waiting job that its own quota holds may only take the place of one of its
/// user's own jobs; one that the service's cap holds may take anyone's. A service without a cap asks with no cap
/// (<see cref="int.MaxValue"/>) and one user's jobs only, so there only the first rule applies. Among the jobs it may end, the victim is a job
/// held beyond its user's own quota first (burst), then the lowest priority, then the most recently admitted. A job of
/// equal or higher priority is never a victim, nor is one already being preempted.
/// </summary>
/// <remarks>
/// A victim keeps its slot until it has stopped and is requeued; that slot is promised to the job it was chosen for.
/// The counts here therefore treat every preemption under way as done, so a repeated call chooses no more victims
/// than the waiting jobs still need.
/// </remarks>
public static class Preemption
{
    /// <summary>
    /// The victims to preempt now, each with the waiting job it makes way for, in <paramref name="waiting"/>'s order.
    /// </summary>
    /// <param name="cap">The service's cap on running jobs; <see cref="int.MaxValue"/> for none.</param>
    /// <param name="perUserLimit">Each user's own quota on the service.</param>
    /// <param name="held">Every job holding a slot, those being preempted included.</param>
    /// <param name="underway">Preemptions chosen before and not yet done: the victim's id and the user it makes way for.</param>
    /// <param name="waiting">The waiting jobs that may preempt, first served first; none already promised a slot.</param>
    public static List<(HeldJob Victim, WaitingJob For)> ChooseVictims(
        int cap,
        int perUserLimit,
        IReadOnlyCollection<HeldJob> held,
        IReadOnlyCollection<(string Victim, string ForUser)> underway,
        IEnumerable<WaitingJob> waiting)
    {
        var chosen = new List<(HeldJob Victim, WaitingJob For)>();
        var taken = new HashSet<string>(underway.Select(u => u.Victim), StringComparer.Ordinal);
        var heldBy = held.GroupBy(h => h.User, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var running = held.Count;
        foreach (var (victim, forUser) in underway)
        {
            // Promised: the victim's slot is the waiting user's already.
            if (held.FirstOrDefault(h => h.JobId == victim) is { } gone)
            {
                heldBy[gone.User]--;
                heldBy[forUser] = HeldBy(heldBy, forUser) + 1;
            }
        }

        foreach (var job in waiting)
        {
            var ownQuotaFull = HeldBy(heldBy, job.User) >= perUserLimit;
            if (!ownQuotaFull && running < cap)
            {
                // Room without preempting anyone: admission gives it the slot.
                running++;
                heldBy[job.User] = HeldBy(heldBy, job.User) + 1;
                continue;
            }

            var victim = held
                .Where(h => !taken.Contains(h.JobId) && h.Priority < job.Priority && (!ownQuotaFull || h.User == job.User))
                .OrderByDescending(h => HeldBy(heldBy, h.User) > perUserLimit)
                .ThenBy(h => h.Priority)
                .ThenByDescending(h => h.Admission)
                .FirstOrDefault();
            if (victim is null)
            {
                continue;
            }

            taken.Add(victim.JobId);
            heldBy[victim.User]--;
            heldBy[job.User] = HeldBy(heldBy, job.User) + 1;
            chosen.Add((victim, job));
        }

        return chosen;
    }

    /// <summary>The history line of a preempted job.</summary>
    public static string Reason(string preemptorId, JobPriority priority, string service) =>
        $"preempted by job {preemptorId} (priority {priority.ToString().ToLowerInvariant()}) in service '{service}'; requeued";

    private static int HeldBy(Dictionary<string, int> heldBy, string user) => heldBy.GetValueOrDefault(user);
}
