namespace Corral.Workers;

[GenerateSerializer, Alias("corral.dispatcher-state")]
public sealed class DispatcherState
{
    /// <summary>Admitted jobs waiting for a worker, in admission order.</summary>
    [Id(0)] public List<PlacementRequest> Pending { get; set; } = [];

    /// <summary>Every worker that ever registered; their live snapshots are kept in memory.</summary>
    [Id(1)] public SortedSet<string> Workers { get; set; } = [];
}
