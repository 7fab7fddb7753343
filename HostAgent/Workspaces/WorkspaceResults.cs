using System.Collections.Concurrent;
using Corral.HostAgent.Containers;
using Docker.DotNet;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent.Workspaces;

/// <summary>
/// Copies a job's working directory into its Results set: at its end (then the directory goes), and on demand while
/// it runs (a snapshot). One copy of a job at a time, so a snapshot and the final collection never interleave.
/// </summary>
public sealed partial class WorkspaceResults(
    JobWorkspaces workspaces,
    ContainerRuntime runtime,
    ResultCollector collector,
    HostAgentSettings settings,
    ILogger<WorkspaceResults> logger)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    /// <summary>
    /// Results may hold twice the directory's cap: a job is stopped within a check interval of passing the cap, and
    /// what it wrote meanwhile is kept; the bound only stops sparse files of any length being stored.
    /// </summary>
    private long Budget => settings.JobWorkMaxBytes > long.MaxValue / 2 ? long.MaxValue : settings.JobWorkMaxBytes * 2;

    /// <summary>Replaces the job's results with its live directory; false when it has no directory on this host.</summary>
    public async Task<bool> SnapshotAsync(string jobId, CancellationToken cancellationToken)
    {
        var gate = _gates.GetOrAdd(jobId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (!workspaces.Exists(jobId))
            {
                return false;
            }

            try
            {
                await CollectAsync(jobId, cancellationToken);
                return true;
            }
            catch (DockerContainerNotFoundException)
            {
                return false;
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Collects the directory of a job whose container has exited and removes it. A failure is logged and the
    /// directory removed all the same: the job ends either way. A cancelled collection (the agent stopping) keeps the
    /// directory, for the next run of the agent to collect.
    /// </summary>
    public async Task CollectAndRemoveAsync(string jobId, CancellationToken cancellationToken)
    {
        var gate = _gates.GetOrAdd(jobId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            // No directory: collected already by a run of the agent that stopped before reporting the end.
            if (!workspaces.Exists(jobId))
            {
                return;
            }

            try
            {
                await CollectAsync(jobId, cancellationToken);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                LogCollectFailed(jobId, error.Message);
            }

            workspaces.Delete(jobId);
        }
        finally
        {
            gate.Release();
            _gates.TryRemove(jobId, out _);
        }
    }

    private async Task CollectAsync(string jobId, CancellationToken cancellationToken)
    {
        await using var archive = await runtime.OpenArchiveAsync(ContainerLabels.NameFor(jobId), JobWorkspaces.InContainer, cancellationToken);
        var collected = await collector.CollectAsync(jobId, archive, Budget, cancellationToken);
        LogCollected(jobId, collected.Files, collected.Bytes, collected.Skipped.Count);
        foreach (var skipped in collected.Skipped.Take(20))
        {
            LogSkipped(jobId, skipped);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: collected {Files} result files ({Bytes} bytes), left out {Skipped}")]
    private partial void LogCollected(string jobId, int files, long bytes, int skipped);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: result left out: {Entry}")]
    private partial void LogSkipped(string jobId, string entry);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: could not collect its working directory as results: {Error}")]
    private partial void LogCollectFailed(string jobId, string error);
}
