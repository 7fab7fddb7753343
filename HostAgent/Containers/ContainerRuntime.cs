using Docker.DotNet;
using Docker.DotNet.Models;

namespace Corral.HostAgent.Containers;

/// <summary>
/// What a job's container looked like when it stopped; <paramref name="DuringEngineOutage"/>: the engine went away
/// (a restart) while it was being waited for, so an engine without live-restore may have stopped it.
/// </summary>
public sealed record ContainerExit(int ExitCode, bool OomKilled, bool DuringEngineOutage = false);

/// <summary>A job container found on the engine (after an agent restart).</summary>
/// <summary>A job container on this engine, as its labels describe it; <paramref name="Attempt"/> is 1 when unlabelled.</summary>
public sealed record JobContainer(string ContainerId, string JobId, string Worker, bool Running, int Attempt = 1);

/// <summary>The local Docker engine, reduced to what the host agent does with it.</summary>
public sealed partial class ContainerRuntime(DockerClient docker)
{
    // Docker 20.10 (Debian's docker.io) serves API 1.41.
    public static readonly System.Version ApiVersion = new(1, 41);

    private static readonly TimeSpan EngineRetryDelay = TimeSpan.FromSeconds(1);

    public static DockerClient Connect(Uri endpoint) =>
        new DockerClientConfiguration(endpoint).CreateClient(ApiVersion);

    public Task StartAsync(string containerId, CancellationToken cancellationToken) =>
        docker.Containers.StartContainerAsync(containerId, new ContainerStartParameters(), cancellationToken);

    /// <summary>
    /// Waits until the container stops. The engine going away (stopped, restarted) does not end the wait: it is asked
    /// again every <see cref="EngineRetryDelay"/> until it answers, and then either the container still runs (an engine
    /// with live-restore keeps it) or its exit is read back from the engine.
    /// </summary>
    public async Task<ContainerExit> WaitAsync(string containerId, CancellationToken cancellationToken)
    {
        var outage = false;
        while (true)
        {
            try
            {
                var waited = await docker.Containers.WaitContainerAsync(containerId, cancellationToken);
                var inspected = await docker.Containers.InspectContainerAsync(containerId, cancellationToken);
                return new ContainerExit((int)waited.StatusCode, inspected.State.OOMKilled, outage);
            }
            catch (Exception error) when (IsEngineAway(error) && !cancellationToken.IsCancellationRequested)
            {
                outage = true;
                await Task.Delay(EngineRetryDelay, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="error"/> says the engine could not be reached or dropped the connection (rather than
    /// answering): its socket refused, the stream cut, or an engine still starting up answering 5xx.
    /// </summary>
    public static bool IsEngineAway(Exception error) => error switch
    {
        HttpRequestException or IOException or System.Net.Sockets.SocketException => true,
        DockerApiException api => (int)api.StatusCode >= 500,
        _ => false,
    };

    public Task KillAsync(string containerId) => SignalAsync(containerId, "KILL");

    /// <summary>Sends the container's first process <paramref name="signal"/> ("TERM", "KILL"); nothing when it has stopped.</summary>
    public async Task SignalAsync(string containerId, string signal)
    {
        try
        {
            await docker.Containers.KillContainerAsync(containerId, new ContainerKillParameters { Signal = signal });
        }
        catch (DockerApiException error) when (error.StatusCode is System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.NotFound)
        {
            // Already stopped or gone: nothing left to signal.
        }
    }

    public async Task RemoveAsync(string containerId)
    {
        try
        {
            await docker.Containers.RemoveContainerAsync(containerId, new ContainerRemoveParameters { Force = true });
        }
        catch (DockerContainerNotFoundException)
        {
        }
    }

    public async Task<IReadOnlyList<JobContainer>> ListJobContainersAsync(CancellationToken cancellationToken)
    {
        var containers = await docker.Containers.ListContainersAsync(
            new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["label"] = new Dictionary<string, bool> { [ContainerLabels.JobId] = true },
                },
            },
            cancellationToken);
        return [.. containers.Select(c => new JobContainer(
            c.ID,
            c.Labels[ContainerLabels.JobId],
            c.Labels.TryGetValue(ContainerLabels.Worker, out var w) ? w : string.Empty,
            c.State == "running",
            c.Labels.TryGetValue(ContainerLabels.Attempt, out var a) && int.TryParse(a, System.Globalization.CultureInfo.InvariantCulture, out var attempt) && attempt > 0 ? attempt : 1))];
    }

    /// <summary>Every image tag on this engine, as "name:tag".</summary>
    public async Task<IReadOnlyList<string>> ListImageTagsAsync(CancellationToken cancellationToken)
    {
        var images = await docker.Images.ListImagesAsync(new ImagesListParameters(), cancellationToken);
        return [.. images.SelectMany(i => i.RepoTags ?? []).Where(t => t != "<none>:<none>").Order(StringComparer.Ordinal)];
    }
}
