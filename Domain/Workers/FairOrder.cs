namespace Corral.Workers;

/// <summary>
/// The order the dispatcher tries pending jobs in when capacity is short: one job per user in turn
/// (users in order of their oldest waiting job), each user's jobs oldest first. No user starves another.
/// </summary>
public static class FairOrder
{
    public static IEnumerable<PlacementRequest> Interleave(IReadOnlyList<PlacementRequest> pending)
    {
        var queues = pending
            .GroupBy(p => p.User, StringComparer.Ordinal)
            .Select(g => new Queue<PlacementRequest>(g))
            .ToList();
        while (queues.Count > 0)
        {
            for (var i = 0; i < queues.Count; i++)
            {
                yield return queues[i].Dequeue();
                if (queues[i].Count == 0)
                {
                    queues.RemoveAt(i--);
                }
            }
        }
    }
}
