using Corral.Jobs;

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
    /// <param name="queues">User to their waiting jobs, first in line first; users with none are absent.</param>
    /// <param name="turns">The users with waiting jobs, next in turn first.</param>
    /// <param name="usage">Each user's recent usage, lowest first in line; null for round-robin.</param>
    public static List<(string User, string JobId)> Fill(
        int cap,
        int perUserLimit,
        Dictionary<string, List<string>> holders,
        Dictionary<string, List<string>> queues,
        List<string> turns,
        Func<string, double>? usage = null)
    {
        var admitted = new List<(string User, string JobId)>();
        var running = Running(holders);
        while (running < cap)
        {
            var at = NextInTurn(perUserLimit, holders, queues, turns, usage);
            if (at < 0)
            {
                break;
            }

            var next = turns[at];
            turns.RemoveAt(at);
            var queue = queues[next];
            var job = queue[0];
            queue.RemoveAt(0);
            if (queue.Count > 0)
            {
                turns.Add(next);
            }
            else
            {
                queues.Remove(next);
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
        Dictionary<string, List<string>> queues,
        List<string> turns,
        Func<string, double>? usage)
    {
        var best = -1;
        var least = double.MaxValue;
        var fewest = int.MaxValue;
        for (var at = 0; at < turns.Count; at++)
        {
            var held = Held(holders, turns[at]);
            if (held >= perUserLimit || !queues.ContainsKey(turns[at]))
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

    /// <summary>
    /// Adds a job to its user's queue, after their waiting jobs of its priority or higher (<see cref="QueueOrder"/>);
    /// the user joins the turns (at the back) if not there. <c>priorities</c> holds the priority of each waiting job
    /// that is not normal; the job's own is added.
    /// </summary>
    public static void Wait(
        Dictionary<string, List<string>> queues,
        List<string> turns,
        Dictionary<string, JobPriority> priorities,
        string user,
        string jobId,
        JobPriority priority = JobPriority.Normal)
    {
        if (!queues.TryGetValue(user, out var queue))
        {
            queues[user] = queue = [];
        }

        QueueOrder.Insert(queue, priorities, jobId, priority);
        if (priority != JobPriority.Normal)
        {
            priorities[jobId] = priority;
        }

        if (!turns.Contains(user))
        {
            turns.Add(user);
        }
    }

    /// <summary>Drops a job from its user's slots or queue; true when it was in either.</summary>
    public static bool Remove(
        Dictionary<string, List<string>> holders, Dictionary<string, List<string>> queues, List<string> turns, string user, string jobId)
    {
        if (holders.TryGetValue(user, out var held) && held.Remove(jobId))
        {
            if (held.Count == 0)
            {
                holders.Remove(user);
            }

            return true;
        }

        if (queues.TryGetValue(user, out var queue) && queue.Remove(jobId))
        {
            if (queue.Count == 0)
            {
                queues.Remove(user);
                turns.Remove(user);
            }

            return true;
        }

        return false;
    }

    /// <summary>What holds a waiting job: its user's own quota, or else the service's cap.</summary>
    public static string WaitReason(int cap, int perUserLimit, int running, int heldByUser) =>
        heldByUser >= perUserLimit ? UserQuota(heldByUser, perUserLimit) : $"waiting: service cap {running}/{cap}";

    public static string UserQuota(int held, int limit) => $"waiting: user quota {held}/{limit}";
}
