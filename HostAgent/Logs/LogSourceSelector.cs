using Corral.HostAgent.Containers;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent.Logs;

/// <summary>
/// Opens a job's output file (<see cref="JobOutputFiles"/>), which every container this agent creates writes
/// through <c>corral-run</c>, positioned after what is stored: each stored row keeps its offset in the file.
/// </summary>
public sealed partial class LogSourceSelector(ContainerRuntime runtime, ILogger<LogSourceSelector> logger)
{
    /// <summary>
    /// A source and the stripper to read it with, positioned after what <paramref name="stored"/> holds
    /// (a previous run of the agent may have stored part of this container's output);
    /// <paramref name="exited"/> completes when the container stops.
    /// </summary>
    /// <exception cref="InvalidOperationException">The container has no output file label.</exception>
    public async Task<(ILogSource Source, AnsiStripper Stripper)> OpenAsync(
        string jobId, string containerId, LogProgress stored, Task exited, CancellationToken cancellationToken)
    {
        var file = await runtime.GetOutputFileAsync(containerId, cancellationToken)
            ?? throw new InvalidOperationException(
                $"container {containerId} has no '{ContainerLabels.Output}' label, so no output file to read");
        if (stored.End is { } end)
        {
            LogResuming(jobId, end.FileOffset);
            return (new OutputFileLogSource(file, end.FileOffset, exited), AnsiStripper.FromCheckpoint(end.StripperCheckpoint));
        }

        return (new OutputFileLogSource(file, 0, exited), new AnsiStripper());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: resuming its output file at byte {Offset}")]
    private partial void LogResuming(string jobId, long offset);
}
