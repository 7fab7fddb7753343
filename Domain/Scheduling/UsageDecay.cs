namespace Corral.Scheduling;

/// <summary>
/// A user's recent use of a service, in CPU-seconds that halve every half-life (FAIR_SHARE_HALF_LIFE_SECONDS, or
/// SERVICE_&lt;NAME&gt;_FAIR_SHARE_HALF_LIFE_SECONDS), the way Slurm's fair-share decays usage. It is stored as a value
/// and the time it was true, and decayed when read or added to, so nothing needs a timer.
/// </summary>
public static class UsageDecay
{
    /// <summary>What <paramref name="value"/>, true at <paramref name="asOf"/>, has decayed to at <paramref name="now"/>.</summary>
    public static double At(double value, DateTimeOffset asOf, DateTimeOffset now, TimeSpan halfLife)
    {
        var elapsed = now - asOf;
        // A clock that moved back decays nothing rather than growing the figure.
        return elapsed <= TimeSpan.Zero ? value : value * Math.Pow(0.5, elapsed / halfLife);
    }

    /// <summary>The value at <paramref name="now"/> once <paramref name="cpuSeconds"/> more are counted.</summary>
    public static double Add(double value, DateTimeOffset asOf, double cpuSeconds, DateTimeOffset now, TimeSpan halfLife) =>
        At(value, asOf, now, halfLife) + Math.Max(0, cpuSeconds);

    /// <summary>Below this a user's usage is forgotten (the entry dropped): a few milliseconds of CPU.</summary>
    public const double Negligible = 0.001;
}
