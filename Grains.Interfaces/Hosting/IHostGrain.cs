using Corral.Jobs;

namespace Corral.Hosting;

/// <summary>
/// A host agent's hands: start, stop and inspect containers on that host. Keyed by the agent silo's address
/// and always activated on that very silo (Corral.Placement.HostSiloPlacementAttribute on the grain class); when the silo is gone,
/// calls fail and the worker is lost.
/// </summary>
public interface IHostGrain : IGrainWithStringKey
{
    /// <summary>Starts the job's container in the background (idempotent); progress is reported to the job grain.</summary>
    Task StartAsync(JobLaunch launch);

    /// <summary>
    /// Records why the job stops and kills its container in the background: the answer comes once the reason is
    /// recorded, not when the engine is done (seconds for a container still starting).
    /// </summary>
    Task StopAsync(string jobId, TerminationReason reason, string message);

    /// <summary>
    /// Sends the job's processes SIGTERM (its container's first process passes it on), leaving the container running:
    /// the warning of a preemption with a grace period, after which the job is stopped with <see cref="StopAsync"/>.
    /// </summary>
    Task AskToStopAsync(string jobId);

    /// <summary>
    /// Stops the container of a job whose end the cluster has recorded already (an SSH session that reached its
    /// maximum duration), in the background; what the container reports afterwards changes nothing.
    /// </summary>
    Task EndAsync(string jobId, string message);

    Task<HostJobState> InspectAsync(string jobId);

    /// <summary>
    /// Copies the job's working directory as it is now into its result files (Corral.Files, replacing them), so a
    /// running job can be downloaded; false when the job has no working directory on this host.
    /// </summary>
    Task<bool> SnapshotFilesAsync(string jobId);
}
