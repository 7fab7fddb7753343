using System.Net;

namespace Corral.HostAgent.Containers;

/// <summary>A container's addresses on its bridge network; null where it has none (IPv6 off, or not running).</summary>
public sealed record ContainerAddresses(IPAddress? V4, IPAddress? V6);

public sealed partial class ContainerRuntime
{
    /// <summary>The addresses the container's packets leave with: its endpoint on the bridge network.</summary>
    public async Task<ContainerAddresses> GetBridgeAddressesAsync(string containerId, CancellationToken cancellationToken)
    {
        var inspected = await docker.Containers.InspectContainerAsync(containerId, cancellationToken);
        var networks = inspected.NetworkSettings?.Networks;
        if (networks is null || !networks.TryGetValue("bridge", out var bridge) || bridge is null)
        {
            return new ContainerAddresses(null, null);
        }

        return new ContainerAddresses(Parse(bridge.IPAddress), Parse(bridge.GlobalIPv6Address));
    }

    private static IPAddress? Parse(string? address) =>
        string.IsNullOrEmpty(address) ? null : IPAddress.Parse(address);
}
