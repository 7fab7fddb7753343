using Corral.HostAgent.Containers;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent.Logs;

/// <summary>
/// Picks how a job's output is read: its json-file log straight from the disk when the engine keeps one this
/// agent can follow (fast, resumable at a byte), otherwise the engine's log API (any driver, resumable by time).
/// </summary>
/// <remarks>
/// Containers are created with the json-file driver (<see cref="ContainerSpecBuilder"/>), so the API is the
/// fallback for an engine whose defaults add rotation (<c>log-opts</c> <c>max-size</c> in daemon.json: a rotated
/// file is renamed under the reader, and Docker offers no way to switch rotation off per container) or an agent
/// that cannot see the engine's files (another mount namespace). Rotation is not needed: the hourly log quota
/// bounds how fast a file grows, and the container, with its file, is removed when the job ends.
/// </remarks>
public sealed partial class LogSourceSelector(ContainerRuntime runtime, TimeProvider clock, ILogger<LogSourceSelector> logger)
{
    /// <summary>
    /// A source and the stripper to read it with, positioned after what <paramref name="stored"/> holds.
    /// <paramref name="adopted"/>: a previous run of the agent may have stored part of this container's output;
    /// <paramref name="exited"/> completes when the container stops.
    /// </summary>
    public async Task<(ILogSource Source, AnsiStripper Stripper)> OpenAsync(
        string jobId, string containerId, LogProgress stored, bool adopted, Task exited, CancellationToken cancellationToken)
    {
        var file = await runtime.InspectLogFileAsync(containerId, cancellationToken);
        var followable = CanFollow(file);
        if (followable && stored.NextSeq == 0)
        {
            return (new JsonFileLogSource(file.Path, 0, exited), new AnsiStripper());
        }

        if (followable && stored.End is { } end)
        {
            LogResuming(jobId, end.FileOffset);
            return (new JsonFileLogSource(file.Path, end.FileOffset, exited), AnsiStripper.FromCheckpoint(end.StripperCheckpoint));
        }

        if (!followable)
        {
            LogNoFile(jobId, file.Driver, string.Join(',', file.Options.Keys));
        }

        // Rows without a file position were read through the API: an adopted container then goes on from now,
        // since the API cannot say which of its lines were stored already.
        var since = adopted && stored.NextSeq > 0 ? clock.GetUtcNow() : (DateTimeOffset?)null;
        var stream = await runtime.FollowLogsAsync(containerId, since, cancellationToken);
        return (new EngineLogSource(stream), new AnsiStripper());
    }

    private static bool CanFollow(ContainerLogFile file) =>
        file.Driver == ContainerLogFile.JsonFileDriver
        && !file.Options.ContainsKey("max-size")
        && file.Path.Length > 0
        && File.Exists(file.Path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: resuming its log file at byte {Offset}")]
    private partial void LogResuming(string jobId, long offset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: no log file to follow (driver {Driver}, options {Options}); reading through the engine's log API, which is slower")]
    private partial void LogNoFile(string jobId, string driver, string options);
}
