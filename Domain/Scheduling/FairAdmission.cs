namespace Corral.Scheduling;

/// <summary>
/// Admission to a service with a cap on its running jobs across all users (SERVICE_&lt;NAME&gt;_MAX_RUNS). While the
/// service has room, the next slot goes to the waiting user whose own quota allows another job and who has the least
/// recent usage (<see cref="UsageDecay"/>, when the service weighs by it: <see cref="Fairness.Usage"/>), then holds the
/// fewest slots, then is first in turn among equals; that user then goes to the back of the turns. Within a user, jobs
/// are admitted in their queue's order (FIFO). Two users flooding the service so get its slots alternately.
/// </summary>
/// <remarks>
/// A user out of budget (<see cref="IAdmissionGate"/>) is skipped as one at quota. Burst
/// (SERVICE_&lt;NAME&gt;_BURST_PER_USER): once no waiting user may run within their quota, a user may go up to quota
/// plus burst while the service has room; so burst is never granted while anyone else who could run waits, and burst
/// jobs are the last admitted. <see cref="BurstJobs"/> names the held jobs beyond quota (those to preempt first).
/// A user skipped for their own quota keeps their place, so they are first among equals once it allows. After every
/// <see cref="Fill"/> either the service is full or every waiting user is at their own quota (plus burst) or out of
/// budget; a newcomer therefore
/// never overtakes anyone who could run.
/// </remarks>
public static class FairAdmission
{
    /// <summary>Jobs holding a slot now, across all users.</summary>
    public static int Running(IReadOnlyDictionary<string, List<string>> holders) => holders.Values.Sum(h => h.Count);

    public static int Held(IReadOnlyDictionary<string, List<string>> holders, string user) =>
        holders.TryGetValue(user, out var held) ? held.Count : 0;

    /// <summary>
    /// Admits waiting jobs while the service has room, one per user in turn; returns them in the order admitted.
    /// </summary>
    /// <param name="cap">The service's cap on running jobs.</param>
    /// <param name="perUserLimit">Each user's own quota on the service (SERVICE_&lt;NAME&gt;_RUNS_PER_USER).</param>
    /// <param name="holders">User to the jobs holding a slot; users with none are absent.</param>
    /// <param name="waiting">The waiting jobs, in each user's line.</param>
    /// <param name="turns">The users with waiting jobs, next in turn first.</param>
    /// <param name="usage">Each user's recent usage, lowest first in line; null for round-robin.</param>
    /// <param name="gate">Whether a user may start another job besides slots (their budgets); null: always.</param>
    /// <param name="burst">How many jobs beyond their quota a user may hold while nobody else who could run waits.</param>
    /// <param name="onAdmitted">Told each admitted job as it left the line (its priority and arrival), if given.</param>
    public static List<(string User, string JobId)> Fill(
        int cap,
        int perUserLimit,
        Dictionary<string, List<string>> holders,
        WaitingQueue waiting,
        List<string> turns,
        Func<string, double>? usage = null,
        IAdmissionGate? gate = null,
        int burst = 0,
        Action<WaitingJob>? onAdmitted = null)
    {
        var admitted = new List<(string User, string JobId)>();
        var running = Running(holders);
        while (running < cap)
        {
            var at = NextInTurn(perUserLimit, holders, waiting, turns, usage, gate);
            if (at < 0 && burst > 0)
            {
                // Nobody waiting may run within their quota: the room goes to burst.
                at = NextInTurn(perUserLimit + burst, holders, waiting, turns, usage, gate);
            }

            if (at < 0)
            {
                break;
            }

            var next = turns[at];
            turns.RemoveAt(at);
            var taken = waiting.TakeNext(next)!;
            onAdmitted?.Invoke(taken);
            var job = taken.JobId;
            if (waiting.CountOf(next) > 0)
            {
                turns.Add(next);
            }

            if (!holders.TryGetValue(next, out var held))
            {
                holders[next] = held = [];
            }

            held.Add(job);
            gate?.Started(next);
            running++;
            admitted.Add((next, job));
        }

        return admitted;
    }

    /// <summary>
    /// The index in <paramref name="turns"/> of the user who gets the next slot: of the users whose own quota allows
    /// another job, the one whose next job has the highest priority, then the least usage (when weighed), then holding
    /// fewest slots, the longest unserved among equals; -1 when none may run. Priority so goes across users, and fair
    /// share breaks ties within a priority.
    /// </summary>
    private static int NextInTurn(
        int perUserLimit,
        Dictionary<string, List<string>> holders,
        WaitingQueue waiting,
        List<string> turns,
        Func<string, double>? usage,
        IAdmissionGate? gate)
    {
        var best = -1;
        var highest = int.MinValue;
        var least = double.MaxValue;
        var fewest = int.MaxValue;
        for (var at = 0; at < turns.Count; at++)
        {
            var held = Held(holders, turns[at]);
            if (held >= perUserLimit || waiting.Peek(turns[at]) is not { } head)
            {
                continue;
            }

            var priority = (int)head.Priority;
            var used = usage?.Invoke(turns[at]) ?? 0;
            var better = priority > highest
                || (priority == highest && (used < least || (used == least && held < fewest)));
            // The budget is asked last, and only of a user who would be next: it is the costly question.
            if (better && gate?.MayStart(turns[at]) != false)
            {
                best = at;
                highest = priority;
                least = used;
                fewest = held;
            }
        }

        return best;
    }

    /// <summary>Adds a job to its user's line (<see cref="WaitingQueue"/>); the user joins the turns (at the back) if not there.</summary>
    public static void Wait(WaitingQueue waiting, List<string> turns, WaitingJob job)
    {
        waiting.Add(job);
        if (!turns.Contains(job.User))
        {
            turns.Add(job.User);
        }
    }

    /// <summary>Drops a job from its user's slots or line; true when it was in either.</summary>
    public static bool Remove(
        Dictionary<string, List<string>> holders, WaitingQueue waiting, List<string> turns, string user, string jobId)
    {
        if (holders.TryGetValue(user, out var held) && held.Remove(jobId))
        {
            if (held.Count == 0)
            {
                holders.Remove(user);
            }

            return true;
        }

        if (waiting.Remove(jobId) is null)
        {
            return false;
        }

        if (waiting.CountOf(user) == 0)
        {
            turns.Remove(user);
        }

        return true;
    }

    /// <summary>
    /// What holds a waiting job: its user's own quota, else their spent budget (<paramref name="budgetSpent"/>, as
    /// <see cref="UsageBudget.Spent"/> says it), else the service's cap.
    /// </summary>
    public static string WaitReason(int cap, int perUserLimit, int running, int heldByUser, string? budgetSpent = null) =>
        heldByUser >= perUserLimit ? UserQuota(heldByUser, perUserLimit) : budgetSpent ?? $"waiting: service cap {running}/{cap}";

    /// <summary>
    /// The held jobs granted as burst: each user's jobs beyond their quota, the most recently admitted first (a
    /// user's jobs hold slots in the order admitted). These are the ones to preempt first, or to let end before
    /// anyone waiting within quota is passed over.
    /// </summary>
    public static List<(string User, string JobId)> BurstJobs(IReadOnlyDictionary<string, List<string>> holders, int perUserLimit)
    {
        var burst = new List<(string User, string JobId)>();
        foreach (var (user, held) in holders)
        {
            for (var at = held.Count - 1; at >= perUserLimit; at--)
            {
                burst.Add((user, held[at]));
            }
        }

        return burst;
    }

    public static string UserQuota(int held, int limit) => $"waiting: user quota {held}/{limit}";
}
