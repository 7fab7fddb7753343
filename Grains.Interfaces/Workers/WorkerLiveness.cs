namespace Corral.Workers;

/// <summary>How often host agents report and how long silence means a worker is gone.</summary>
public static class WorkerLiveness
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan LostAfter = TimeSpan.FromSeconds(20);
}
