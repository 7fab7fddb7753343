namespace Corral.Jobs;

/// <summary>A job's place in its life; see <see cref="JobStateMachine"/> for the allowed moves.</summary>
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
