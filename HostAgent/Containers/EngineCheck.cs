using Docker.DotNet;

namespace Corral.HostAgent.Containers;

/// <summary>The Docker engine could not be reached at start.</summary>
public sealed class EngineUnavailableException(string message) : Exception(message);

public static class EngineCheck
{
    /// <summary>Fails fast when no Docker engine answers: an agent that cannot run containers must not register.</summary>
    public static async Task EnsureReachableAsync(DockerClient docker, Uri endpoint)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await docker.System.PingAsync(timeout.Token);
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            throw new EngineUnavailableException($"cannot reach the Docker engine at {endpoint} (DOCKER_HOST): {error.Message}");
        }
    }
}
