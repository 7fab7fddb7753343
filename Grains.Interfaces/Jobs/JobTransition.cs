namespace Corral.Jobs;

/// <summary>One step of a job's history, as persisted.</summary>
[GenerateSerializer, Immutable, Alias("corral.job-transition")]
public sealed record JobTransition(
    [property: Id(0)] JobStatus Status,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string? Message);
