using Docker.DotNet.Models;

namespace Corral.HostAgent.Containers;

public sealed partial class ContainerRuntime
{
    /// <summary>
    /// A tar archive of a directory as the container sees it (running or exited), read by the engine inside the
    /// container's filesystem: links in it are archived as links, never followed onto the host.
    /// </summary>
    public async Task<Stream> OpenArchiveAsync(string container, string path, CancellationToken cancellationToken)
    {
        var response = await docker.Containers.GetArchiveFromContainerAsync(
            container, new GetArchiveFromContainerParameters { Path = path }, false, cancellationToken);
        return new EmptyReadGuardStream(response.Stream);
    }
}
