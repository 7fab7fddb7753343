namespace Corral.HostAgent.Containers;

public sealed partial class ContainerRuntime
{
    /// <summary>
    /// The host path of the container's output file (its <see cref="ContainerLabels.Output"/> label), or null for a
    /// container without that label (every container this agent creates has it).
    /// </summary>
    public async Task<string?> GetOutputFileAsync(string containerId, CancellationToken cancellationToken)
    {
        var inspected = await docker.Containers.InspectContainerAsync(containerId, cancellationToken);
        return inspected.Config?.Labels?.TryGetValue(ContainerLabels.Output, out var path) == true ? path : null;
    }

    /// <summary>The image's entry point (empty for none): the job's command is appended to it, as Docker would.</summary>
    public async Task<IReadOnlyList<string>> GetImageEntrypointAsync(string image, CancellationToken cancellationToken)
    {
        var inspected = await docker.Images.InspectImageAsync(image, cancellationToken);
        return [.. inspected.Config?.Entrypoint ?? []];
    }
}
