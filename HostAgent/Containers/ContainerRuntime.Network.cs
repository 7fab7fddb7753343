using System.Net;

namespace Corral.HostAgent.Containers;

/// <summary>A running container's endpoint on the bridge network: its MAC and addresses (null where it has none).</summary>
public sealed record BridgeEndpoint(string MacAddress, IPAddress? V4, IPAddress? V6);

public sealed partial class ContainerRuntime
{
    /// <summary>The container's endpoint on the bridge; null when it has none (not running, or not on the bridge).</summary>
    public async Task<BridgeEndpoint?> GetBridgeEndpointAsync(string containerId, CancellationToken cancellationToken)
    {
        var inspected = await docker.Containers.InspectContainerAsync(containerId, cancellationToken);
        var networks = inspected.NetworkSettings?.Networks;
        if (networks is null || !networks.TryGetValue("bridge", out var bridge) || bridge is null || string.IsNullOrEmpty(bridge.MacAddress))
        {
            return null;
        }

        return new BridgeEndpoint(bridge.MacAddress, Parse(bridge.IPAddress), Parse(bridge.GlobalIPv6Address));
    }

    private static IPAddress? Parse(string? address) =>
        string.IsNullOrEmpty(address) ? null : IPAddress.Parse(address);
}
