using Orleans.Placement;
using Orleans.Runtime.Placement;

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

public sealed class HostSiloPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString() ?? string.Empty;
        SiloAddress wanted;
        try
        {
            wanted = SiloAddress.FromParsableString(key);
        }
        catch (FormatException)
        {
            throw new OrleansException($"Host grain key '{key}' is not a silo address.");
        }

        if (!context.GetCompatibleSilos(target).Contains(wanted))
        {
            throw new SiloUnavailableException($"Host agent silo {key} is not in the cluster.");
        }

        return Task.FromResult(wanted);
    }
}
