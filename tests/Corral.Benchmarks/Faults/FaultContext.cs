namespace Corral.Benchmarks.Faults;

/// <summary>What a fault acts on, and where it notes progress.</summary>
public sealed record FaultContext(
    FaultCluster Cluster, FaultDatabaseServer Database, OutputFileSystem OutputFiles, RecoveryProbe Probe, BenchmarkReport Report)
{
    /// <summary>The host agent's own Docker engine, when a chosen fault restarts the engine.</summary>
    public OwnEngineHost? OwnEngine { get; init; }

    /// <summary>The users of this fault's load.</summary>
    public IReadOnlyList<LoadUser> Users { get; init; } = [];
}
