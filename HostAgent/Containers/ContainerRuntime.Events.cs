using System.Globalization;
using Docker.DotNet.Models;

namespace Corral.HostAgent.Containers;

/// <summary>Engine events about one container.</summary>
public sealed partial class ContainerRuntime
{
    private static readonly TimeSpan EventsRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Calls <paramref name="onOom"/> for every time the kernel's OOM killer struck inside the container (Docker's
    /// "oom" event), from the container's start on, until cancelled. A dropped event stream is reopened.
    /// </summary>
    public async Task WatchOomAsync(string containerId, Func<Task> onOom, CancellationToken cancellationToken)
    {
        var inspected = await docker.Containers.InspectContainerAsync(containerId, cancellationToken);
        // From the start: an event that came before this watch (an adopted container) still counts. A container
        // not started yet (watches attach between create and start) reports year 1: watch from now on.
        var since = DateTimeOffset.TryParse(inspected.State.StartedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var started)
            && started.Year > 2000
            ? started.AddSeconds(-1)
            : DateTimeOffset.UtcNow.AddSeconds(-1);
        var filters = new Dictionary<string, IDictionary<string, bool>>
        {
            ["type"] = new Dictionary<string, bool> { ["container"] = true },
            ["container"] = new Dictionary<string, bool> { [containerId] = true },
            ["event"] = new Dictionary<string, bool> { ["oom"] = true },
        };
        while (!cancellationToken.IsCancellationRequested)
        {
            var parameters = new ContainerEventsParameters
            {
                Since = since.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
                Filters = filters,
            };
            try
            {
                await docker.System.MonitorEventsAsync(parameters, new Progress<Message>(_ => onOom()), cancellationToken);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                // The stream broke (engine restart, say): reopen it; repeats of an event are harmless.
            }

            await Task.Delay(EventsRetryDelay, cancellationToken);
        }
    }
}
