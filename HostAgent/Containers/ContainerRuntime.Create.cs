using Docker.DotNet.Models;

namespace Corral.HostAgent.Containers;

public sealed partial class ContainerRuntime
{
    /// <summary>Creates a container without starting it, so what must watch it can be in place before it runs.</summary>
    public async Task<string> CreateAsync(CreateContainerParameters parameters, CancellationToken cancellationToken) =>
        (await docker.Containers.CreateContainerAsync(parameters, cancellationToken)).ID;

    /// <summary>True for a container that was created and never started (Docker's wait would report it exited 0).</summary>
    public async Task<bool> NeverStartedAsync(string containerId, CancellationToken cancellationToken) =>
        (await docker.Containers.InspectContainerAsync(containerId, cancellationToken)).State.Status == "created";
}
