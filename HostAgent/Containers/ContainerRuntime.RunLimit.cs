using System.Globalization;

namespace Corral.HostAgent.Containers;

/// <summary>When a job container started and how long it may run, as the engine and its labels say.</summary>
/// <param name="StartedAt">Null while the container was created but has not started yet.</param>
/// <param name="MaxDurationSeconds">Null when the job has no maximum duration.</param>
/// <param name="Exited">The container ran and has stopped: there is nothing left to end.</param>
public sealed record ContainerRunLimit(DateTimeOffset? StartedAt, int? MaxDurationSeconds, bool Exited);

public sealed partial class ContainerRuntime
{
    /// <summary>Reads the container's start time and its maximum duration label.</summary>
    public async Task<ContainerRunLimit> GetRunLimitAsync(string containerId, CancellationToken cancellationToken)
    {
        var inspected = await docker.Containers.InspectContainerAsync(containerId, cancellationToken);
        int? maxDuration = inspected.Config.Labels is { } labels
            && labels.TryGetValue(ContainerLabels.MaxDurationSeconds, out var text)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                ? seconds
                : null;
        // The engine says 0001-01-01 for a container that never started.
        DateTimeOffset? started = inspected.State.Status == "created" ? null : ParseStart(inspected.State.StartedAt);
        return new ContainerRunLimit(started, maxDuration, inspected.State.Status is "exited" or "dead");
    }

    private static DateTimeOffset? ParseStart(object? value) => value switch
    {
        DateTimeOffset at when at.Year > 1 => at,
        DateTime at when at.Year > 1 => new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)),
        string text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) && at.Year > 1 => at,
        _ => null,
    };
}
