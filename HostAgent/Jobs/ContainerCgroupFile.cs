namespace Corral.HostAgent.Jobs;

/// <summary>
/// One figure's file in a job container's cgroup, found among its candidate paths (<see cref="Resources.CgroupPaths"/>)
/// once the container has started, and read again at each sample.
/// </summary>
public sealed class ContainerCgroupFile(IReadOnlyList<string> candidates)
{
    /// <summary>The path found, or null until the container's cgroup exists.</summary>
    public string? Path { get; private set; }

    /// <summary>The first candidate: the path a log names when none is ever found.</summary>
    public string FirstCandidate => candidates[0];

    /// <summary>
    /// The file's text, or null while there is none to read: the cgroup exists only once the container has started,
    /// and after its exit it is gone again (between the check and the read, say).
    /// </summary>
    public string? TryRead()
    {
        Path ??= candidates.FirstOrDefault(File.Exists);
        if (Path is null)
        {
            return null;
        }

        try
        {
            return File.ReadAllText(Path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
