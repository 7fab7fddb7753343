namespace Corral.HostAgent.Containers;

/// <summary>
/// How the engine keeps a container's output: its log driver, the driver's options, and the file it writes
/// (<c>LogPath</c>, set once the container has started; empty for drivers without a file).
/// </summary>
public sealed record ContainerLogFile(string Driver, string Path, IReadOnlyDictionary<string, string> Options)
{
    public const string JsonFileDriver = "json-file";
}

public sealed partial class ContainerRuntime
{
    public async Task<ContainerLogFile> InspectLogFileAsync(string containerId, CancellationToken cancellationToken)
    {
        var inspected = await docker.Containers.InspectContainerAsync(containerId, cancellationToken);
        var config = inspected.HostConfig?.LogConfig;
        return new ContainerLogFile(
            config?.Type ?? string.Empty,
            inspected.LogPath ?? string.Empty,
            new Dictionary<string, string>(config?.Config ?? new Dictionary<string, string>(), StringComparer.Ordinal));
    }
}
