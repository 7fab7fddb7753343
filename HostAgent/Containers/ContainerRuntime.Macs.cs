using Docker.DotNet.Models;

namespace Corral.HostAgent.Containers;

public sealed partial class ContainerRuntime
{
    /// <summary>
    /// The name of a container on this engine, other than <paramref name="exceptJobId"/>'s own, that has or will have
    /// <paramref name="macAddress"/> on any network: running ones as the engine attached them, created ones as
    /// configured. Null when none.
    /// </summary>
    public async Task<string?> FindMacOwnerAsync(string macAddress, string exceptJobId, CancellationToken cancellationToken)
    {
        var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true }, cancellationToken);
        foreach (var container in containers)
        {
            if (container.Labels is { } labels && labels.TryGetValue(ContainerLabels.JobId, out var jobId) && jobId == exceptJobId)
            {
                continue;
            }

            var attached = container.NetworkSettings?.Networks?.Values.Select(n => n?.MacAddress) ?? [];
            if (attached.Any(mac => Same(mac, macAddress)))
            {
                return Name(container);
            }

            // Created, not yet started: its endpoint does not exist yet, but the MAC it will get is in its config.
            if (container.State == "created")
            {
                try
                {
                    var inspected = await docker.Containers.InspectContainerAsync(container.ID, cancellationToken);
                    if (Same(inspected.Config?.MacAddress, macAddress))
                    {
                        return Name(container);
                    }
                }
                catch (Docker.DotNet.DockerContainerNotFoundException)
                {
                    // Removed since the listing.
                }
            }
        }

        return null;
    }

    private static bool Same(string? mac, string wanted) =>
        !string.IsNullOrEmpty(mac) && string.Equals(mac, wanted, StringComparison.OrdinalIgnoreCase);

    private static string Name(ContainerListResponse container) =>
        container.Names?.FirstOrDefault()?.TrimStart('/') ?? container.ID[..Math.Min(12, container.ID.Length)];
}
