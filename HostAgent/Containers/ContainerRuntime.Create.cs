using Docker.DotNet.Models;

namespace Corral.HostAgent.Containers;

public sealed partial class ContainerRuntime
{
    /// <summary>Creates a container without starting it, so what must watch it can be in place before it runs.</summary>
    public async Task<string> CreateAsync(CreateContainerParameters parameters, CancellationToken cancellationToken) =>
        (await docker.Containers.CreateContainerAsync(parameters, cancellationToken)).ID;
}
