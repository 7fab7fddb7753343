using Corral.HostAgent.Containers;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent.Logs;

/// <summary>
/// Picks how a job's output is read: its output file (<see cref="JobOutputFiles"/>), resumable at a byte, for
/// every container this agent creates; the engine's log API (resumable by time) for a container without one,
/// which only an earlier version of the agent can have left behind.
/// </summary>
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
        var file = await runtime.GetOutputFileAsync(containerId, cancellationToken);
        if (file is not null && File.Exists(file))
        {
            if (stored.End is { } end)
            {
                LogResuming(jobId, end.FileOffset);
                return (new OutputFileLogSource(file, end.FileOffset, exited), AnsiStripper.FromCheckpoint(end.StripperCheckpoint));
            }

            if (stored.NextSeq == 0)
            {
                return (new OutputFileLogSource(file, 0, exited), new AnsiStripper());
            }
        }

        LogNoFile(jobId, file ?? "none");
        // Rows without a file position were read through the API: an adopted container then goes on from now,
        // since the API cannot say which of its lines were stored already.
        var since = adopted && stored.NextSeq > 0 ? clock.GetUtcNow() : (DateTimeOffset?)null;
        var stream = await runtime.FollowLogsAsync(containerId, since, cancellationToken);
        return (new EngineLogSource(stream), new AnsiStripper());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: resuming its output file at byte {Offset}")]
    private partial void LogResuming(string jobId, long offset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: no output file to follow (label: {File}); reading through the engine's log API")]
    private partial void LogNoFile(string jobId, string file);
}
