namespace Corral.Gateway.Files;

/// <summary>
/// The "files" member of a job's view: whether its results can be downloaded (the job ended and the retention
/// period has not passed), how many there are, their bytes, and when the retention sweep removes them.
/// </summary>
public sealed record JobFilesSummary(bool Available, int Count, long Bytes, DateTimeOffset? ExpiresAt);
