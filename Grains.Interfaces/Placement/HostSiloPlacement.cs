using Orleans.Placement;

namespace Corral.Placement;

/// <summary>
/// Places a host grain on the silo named by its own key (a parsable silo address), and nowhere else:
/// a host grain stands for the machine its silo runs on.
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.host-silo-placement")]
public sealed class HostSiloPlacement : PlacementStrategy
{
    public static readonly HostSiloPlacement Instance = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class HostSiloPlacementAttribute() : PlacementAttribute(HostSiloPlacement.Instance);
