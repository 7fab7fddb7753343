using Orleans.Runtime.Placement;

namespace Corral.Placement;

/// <summary>
/// Puts a host grain on the silo its key names (see <see cref="HostSiloPlacement"/>), or fails when that silo is
/// gone: that failure is how the cluster notices a lost worker. Every silo registers it, because placement runs on
/// the calling silo.
/// </summary>
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
