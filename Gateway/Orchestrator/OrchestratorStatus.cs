using Corral.Jobs;

namespace Corral.Gateway.Orchestrator;

/// <summary>
/// Corral's job statuses in job-orchestrator's words, for its routes (/upload, /download, /terminate). "Invalid" is
/// never given: Corral refuses an invalid upload with a 400 instead of accepting a job that cannot run.
/// </summary>
public static class OrchestratorStatus
{
    public static string Of(JobStatus status) => status switch
    {
        JobStatus.Queued => "Queued",
        JobStatus.Pending => "Processing",
        JobStatus.Starting => "Submitted",
        JobStatus.Running => "Running",
        JobStatus.Succeeded => "Completed",
        JobStatus.Failed => "Failed",
        JobStatus.Cancelled => "Killed",
        _ => "Unknown",
    };
}
