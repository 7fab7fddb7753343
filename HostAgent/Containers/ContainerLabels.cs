namespace Corral.HostAgent.Containers;

/// <summary>Labels on every job container; after a restart the agent rebuilds its state from them.</summary>
public static class ContainerLabels
{
    public const string JobId = "corral.job-id";
    public const string User = "corral.user";
    public const string Worker = "corral.worker";

    /// <summary>The host path of the job's output file (<see cref="Logs.JobOutputFiles"/>).</summary>
    public const string Output = "corral.output";

    public static string NameFor(string jobId) => $"corral-{jobId}";
}
