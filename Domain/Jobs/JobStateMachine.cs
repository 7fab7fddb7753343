namespace Corral.Jobs;

/// <summary>
/// The one place that says which status changes are allowed (DESIGN.md, "A job's life").
/// Terminal states never change again.
/// </summary>
public static class JobStateMachine
{
    public static bool IsTerminal(JobStatus status) =>
        status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled;

    public static bool CanMove(JobStatus from, JobStatus to)
    {
        if (IsTerminal(from))
        {
            return false;
        }

        return to switch
        {
            // Starting -> Pending: the chosen worker refused the job before anything ran; place it again.
            // Running -> Pending: its worker was lost and the spec asks for a retry (it keeps its quota slot).
            JobStatus.Pending => from is JobStatus.Queued or JobStatus.Starting or JobStatus.Running,
            // Preempted for a higher-priority job (SERVICE_<NAME>_PREEMPTION): it waits for a slot again.
            JobStatus.Queued => from is JobStatus.Pending or JobStatus.Starting or JobStatus.Running,
            JobStatus.Starting => from == JobStatus.Pending,
            JobStatus.Running => from == JobStatus.Starting,
            JobStatus.Succeeded => from == JobStatus.Running,
            // A queued job holds nothing that can fail; it can only be cancelled.
            JobStatus.Failed => from is JobStatus.Pending or JobStatus.Starting or JobStatus.Running,
            JobStatus.Cancelled => true,
            _ => false,
        };
    }
}
