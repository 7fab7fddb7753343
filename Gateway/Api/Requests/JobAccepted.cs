using Corral.Jobs;

namespace Corral.Gateway.Api.Requests;

/// <summary>The answer to an accepted submission (POST /api/jobs, POST /upload).</summary>
public sealed record JobAccepted(string Id, JobStatus Status);
