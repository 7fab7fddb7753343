namespace Corral.HostAgent.Containers;

/// <summary>Labels on every job container; after a restart the agent rebuilds its state from them.</summary>
public static class ContainerLabels
{
    public const string JobId = "corral.job-id";
    public const string User = "corral.user";
    public const string Worker = "corral.worker";

    /// <summary>
    /// Which attempt of the job the container runs (1-based; missing on containers made before retries, read as 1):
    /// an adopting agent reports it with the outcome, so an earlier attempt's container never completes a later one.
    /// </summary>
    public const string Attempt = "corral.attempt";

    /// <summary>The host path of the job's output file (<see cref="Logs.JobOutputFiles"/>).</summary>
    public const string Output = "corral.output";

    /// <summary>
    /// The job's maximum duration in seconds, when it has one: an agent that adopts the container after a restart
    /// still ends it on time, counting from the container's start.
    /// </summary>
    public const string MaxDurationSeconds = "corral.max-duration-seconds";

    public static string NameFor(string jobId) => $"corral-{jobId}";
}
