namespace Corral.Jobs;

/// <summary>What a user sees of a job (DESIGN.md, "Job view"). The gateway serializes it as is.</summary>
[GenerateSerializer, Immutable, Alias("corral.job-view")]
public sealed record JobView(
    [property: Id(0)] string Id,
    [property: Id(1)] string User,
    [property: Id(2)] string Service,
    [property: Id(3)] JobKind Kind,
    [property: Id(4)] JobStatus Status,
    [property: Id(5)] TerminationReason? TerminationReason,
    [property: Id(6)] string? Message,
    [property: Id(7)] int? ExitCode,
    [property: Id(8)] string? Worker,
    [property: Id(9)] int? QueuePosition,
    [property: Id(10)] DateTimeOffset SubmittedAt,
    [property: Id(11)] DateTimeOffset? StartedAt,
    [property: Id(12)] DateTimeOffset? FinishedAt,
    [property: Id(13)] ResourceRequest Requested,
    [property: Id(14)] EffectiveLimits? Limits,
    [property: Id(15)] long LogBytesThisHour,
    [property: Id(16)] long LogBytesTotal,
    [property: Id(17)] long EgressBytes,
    [property: Id(18)] SshEndpoint? Ssh,
    [property: Id(19)] string Image,
    [property: Id(20)] IReadOnlyList<string> Command,
    [property: Id(21)] IReadOnlyList<JobTransition> History,
    [property: Id(22)] JobPriority Priority = JobPriority.Normal,
    [property: Id(23)] int? MaxDurationSeconds = null,
    [property: Id(24)] int Attempt = 1,
    [property: Id(25)] RetryPolicy? Retry = null,
    [property: Id(26)] double CpuSeconds = 0,
    [property: Id(27)] double GpuSeconds = 0,
    [property: Id(28)] int Preemptions = 0);
