namespace Corral.Jobs;

/// <summary>A job's place in its life; the job state machine (`JobStateMachine`, in Domain) says which moves are allowed.</summary>
public enum JobStatus
{
    Queued,
    Pending,
    Starting,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}
