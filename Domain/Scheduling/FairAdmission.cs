namespace Corral.Scheduling;

/// <summary>
/// Admission to a service with a cap on its running jobs across all users (SERVICE_&lt;NAME&gt;_MAX_RUNS). While the
/// service has room, the next slot goes to the waiting user whose own quota allows another job and who has the least
/// recent usage (<see cref="UsageDecay"/>, when the service weighs by it: <see cref="Fairness.Usage"/>), then holds the
/// fewest slots, then is first in turn among equals; that user then goes to the back of the turns. Within a user, jobs
/// are admitted in their queue's order (FIFO). Two users flooding the service so get its slots alternately.
/// </summary>
/// <remarks>
/// A user skipped for their own quota keeps their place, so they are first among equals once it allows. After every
/// <see cref="Fill"/> either the service is full or every waiting user is at their own quota; a newcomer therefore
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
    /// <param name="onAdmitted">Told each admitted job as it left the line (its priority and arrival), if given.</param>
    public static List<(string User, string JobId)> Fill(
        int cap,
        int perUserLimit,
        Dictionary<string, List<string>> holders,
        WaitingQueue waiting,
        List<string> turns,
        Func<string, double>? usage = null,
        Action<WaitingJob>? onAdmitted = null)
    {
        var admitted = new List<(string User, string JobId)>();
        var running = Running(holders);
        while (running < cap)
        {
            var at = NextInTurn(perUserLimit, holders, waiting, turns, usage);
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
            running++;
            admitted.Add((next, job));
        }

        return admitted;
    }

    /// <summary>
    /// The index in <paramref name="turns"/> of the user who gets the next slot: of the users whose own quota allows
    /// another job, the one with the least usage (when weighed), then holding fewest slots, the longest unserved among
    /// equals; -1 when none may run.
    /// </summary>
    private static int NextInTurn(
        int perUserLimit,
        Dictionary<string, List<string>> holders,
        WaitingQueue waiting,
        List<string> turns,
        Func<string, double>? usage)
    {
        var best = -1;
        var least = double.MaxValue;
        var fewest = int.MaxValue;
        for (var at = 0; at < turns.Count; at++)
        {
            var held = Held(holders, turns[at]);
            if (held >= perUserLimit || waiting.CountOf(turns[at]) == 0)
            {
                continue;
            }

            var used = usage?.Invoke(turns[at]) ?? 0;
            if (used < least || (used == least && held < fewest))
            {
                best = at;
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

    /// <summary>What holds a waiting job: its user's own quota, or else the service's cap.</summary>
    public static string WaitReason(int cap, int perUserLimit, int running, int heldByUser) =>
        heldByUser >= perUserLimit ? UserQuota(heldByUser, perUserLimit) : $"waiting: service cap {running}/{cap}";

    public static string UserQuota(int held, int limit) => $"waiting: user quota {held}/{limit}";
}
