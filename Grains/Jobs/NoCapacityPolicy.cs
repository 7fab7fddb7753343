using Corral.Configuration;

namespace Corral.Jobs;

/// <summary>
/// How long a pending job may go without any live worker that could ever hold it before it fails no_capacity
/// (NO_CAPACITY_GRACE_SECONDS on the core silo, default 600). <paramref name="Clock"/> measures that wait: its own,
/// so tests can move it without moving the clock Orleans runs its timers on.
/// </summary>
public sealed record NoCapacityPolicy(TimeSpan Grace, TimeProvider Clock)
{
    public const int DefaultGraceSeconds = 600;

    public static readonly NoCapacityPolicy Default = new(TimeSpan.FromSeconds(DefaultGraceSeconds), TimeProvider.System);

    public static NoCapacityPolicy Read(SettingsReader settings) => new(
        TimeSpan.FromSeconds(settings.GetInt("NO_CAPACITY_GRACE_SECONDS", DefaultGraceSeconds, 1)), TimeProvider.System);

    /// <summary>Whether a job unplaceable since <paramref name="since"/> has waited out the grace.</summary>
    public bool IsOver(DateTimeOffset since) => Clock.GetUtcNow() - since >= Grace;
}
