namespace Corral.Jobs;

/// <summary>
/// How long a job waits before it is placed again after its worker could not be reached to start it: 1 s, doubling
/// with each miss in a row, at most 10 s. Placing again at once made every such job bounce between pending and
/// starting, several writes each turn, against an agent or a database that was still coming back.
/// </summary>
public static class PlacementBackoff
{
    public static readonly TimeSpan First = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Longest = TimeSpan.FromSeconds(10);

    /// <summary>The wait after <paramref name="misses"/> unreachable starts in a row (1 or more).</summary>
    public static TimeSpan After(int misses)
    {
        var doublings = Math.Clamp(misses - 1, 0, 10);
        return TimeSpan.FromTicks(Math.Min(First.Ticks << doublings, Longest.Ticks));
    }
}
