using Corral.Jobs;

namespace Corral.Scheduling;

/// <summary>A user's queue of waiting jobs: higher priority first, oldest first among equals.</summary>
public static class QueueOrder
{
    /// <summary>
    /// Puts the job after every waiting job of its priority or higher, ahead of any lower; <c>priorities</c> holds the
    /// priority of each waiting job that is not <see cref="JobPriority.Normal"/>.
    /// </summary>
    public static void Insert(List<string> queue, IReadOnlyDictionary<string, JobPriority> priorities, string jobId, JobPriority priority)
    {
        var at = queue.Count;
        while (at > 0 && PriorityOf(priorities, queue[at - 1]) < priority)
        {
            at--;
        }

        queue.Insert(at, jobId);
    }

    public static JobPriority PriorityOf(IReadOnlyDictionary<string, JobPriority> priorities, string jobId) =>
        priorities.TryGetValue(jobId, out var priority) ? priority : JobPriority.Normal;
}
