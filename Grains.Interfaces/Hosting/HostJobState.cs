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

/// <summary>What a host agent knows of one job's container right now.</summary>
[GenerateSerializer, Immutable, Alias("corral.host-job-state")]
public sealed record HostJobState(
    [property: Id(0)] HostJobPhase Phase,
    [property: Id(1)] JobOutcome? Outcome)
{
    public static readonly HostJobState Unknown = new(HostJobPhase.Unknown, null);
}
