using Corral.Files;
using Corral.Gateway.Files;
using Corral.Jobs;

namespace Corral.Gateway.Api.Requests;

/// <summary>The answer to GET /api/jobs/{id}/files: the job's status, its results' summary and their paths and sizes.</summary>
public sealed record JobFileList(JobStatus Status, JobFilesSummary Files, IReadOnlyList<StoredFile> Items, string? Message);
