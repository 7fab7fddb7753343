using Corral.HostAgent.Containers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent.Workspaces;

/// <summary>
/// At the agent's start, before it adopts containers: removes working directories whose job has no container on
/// this engine (the agent stopped between preparing one and creating the container). Directories of containers
/// that still exist are kept untouched, so a job running across a restart keeps its files and is not refilled.
/// </summary>
public sealed partial class WorkspaceSweep(
    JobWorkspaces workspaces,
    ContainerRuntime runtime,
    HostAgentSettings settings,
    ILogger<WorkspaceSweep> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var ours = (await runtime.ListJobContainersAsync(cancellationToken))
            .Where(c => c.Worker == settings.WorkerName)
            .Select(c => c.JobId)
            .ToHashSet(StringComparer.Ordinal);
        foreach (var jobId in workspaces.DeleteAllBut(ours))
        {
            LogRemoved(jobId);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed the working directory of job {JobId}: it has no container")]
    private partial void LogRemoved(string jobId);
}
