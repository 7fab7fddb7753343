using Corral.Jobs;

namespace Corral.Hosting;

public enum HostJobPhase
{
    /// <summary>The host has no container and no record of this job.</summary>
    Unknown,
    Starting,
    Running,
    Exited,
}

/// <summary>
/// What a host agent knows of one job's container right now; <paramref name="Attempt"/> is the attempt that container
/// runs (0 from an agent that did not say, read as the first).
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.host-job-state")]
public sealed record HostJobState(
    [property: Id(0)] HostJobPhase Phase,
    [property: Id(1)] JobOutcome? Outcome,
    [property: Id(2)] int Attempt = 0)
{
    public int AttemptOrFirst => Math.Max(1, Attempt);

    public static readonly HostJobState Unknown = new(HostJobPhase.Unknown, null);
}
