using Corral.Jobs;

namespace Corral.Gateway.Jobs;

/// <summary>
/// One job in a list (<c>GET /api/jobs</c>): the fields of its <see cref="JobView"/> that its row in the job index
/// holds, under the same names. The whole view (resources, counters, history, queue position) is
/// <c>GET /api/jobs/{id}</c>.
/// </summary>
public sealed record JobListItem(
    string Id,
    string User,
    string Service,
    JobKind Kind,
    JobStatus Status,
    TerminationReason? TerminationReason,
    string? Message,
    int? ExitCode,
    string? Worker,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt);
