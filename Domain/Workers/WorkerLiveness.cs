using Corral.Configuration;

namespace Corral.Workers;

/// <summary>
/// How often host agents report, and how long silence means a worker is gone (its running jobs then fail with
/// worker_lost). The window is CORRAL_WORKER_LOST_AFTER_SECONDS on the core silo: long enough that restarting or
/// upgrading an agent (which adopts its running containers) does not fail them.
/// </summary>
public sealed record WorkerLiveness(TimeSpan LostAfter)
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(5);

    public const int DefaultLostAfterSeconds = 60;

    public static readonly WorkerLiveness Default = new(TimeSpan.FromSeconds(DefaultLostAfterSeconds));

    /// <summary>At least three heartbeats, so one late beat never loses a worker.</summary>
    public static WorkerLiveness Read(SettingsReader settings) => new(TimeSpan.FromSeconds(
        settings.GetInt("CORRAL_WORKER_LOST_AFTER_SECONDS", DefaultLostAfterSeconds, (int)(3 * HeartbeatInterval.TotalSeconds))));
}
