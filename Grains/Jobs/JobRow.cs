namespace Corral.Jobs;

/// <summary>
/// A job's row in the job index (<c>corral_jobs</c>): what lists show and what the reconciler looks for, kept
/// beside the job's state so neither needs to activate a job grain. <c>Unfinished</c>: the job may still need
/// waking after a crash (<see cref="JobState.NeedsReconciling"/>).
/// </summary>
public sealed record JobRow(
    string Id,
    string User,
    string Service,
    JobKind Kind,
    JobStatus Status,
    TerminationReason? Reason,
    string? Message,
    int? ExitCode,
    string? Worker,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    bool Unfinished)
{
    public static JobRow Of(string id, JobState state) => new(
        id, state.User!, state.Spec!.Service, state.Spec.Kind, state.Status, state.Reason, state.Message,
        state.ExitCode, state.Worker, state.SubmittedAt, state.StartedAt, state.FinishedAt, state.NeedsReconciling);
}
