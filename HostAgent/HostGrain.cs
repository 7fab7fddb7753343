using Corral.Hosting;
using Corral.HostAgent.Jobs;
using Corral.HostAgent.Workspaces;
using Corral.Jobs;
using Corral.Placement;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent;

/// <inheritdoc cref="IHostGrain"/>
/// <remarks>
/// Every job id is checked here (<see cref="JobIds"/>) before it reaches the supervisor: ids become file paths,
/// container names and iptables chain names on this host, so a caller cannot smuggle "../" or shell text in.
/// </remarks>
[HostSiloPlacement]
public sealed partial class HostGrain(JobSupervisor supervisor, WorkspaceResults workspaces, ILogger<HostGrain> logger) : Grain, IHostGrain
{
    public Task StartAsync(JobLaunch launch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        Check(launch.JobId, nameof(StartAsync));
        supervisor.Start(launch);
        return Task.CompletedTask;
    }

    public Task StopAsync(string jobId, TerminationReason reason, string message)
    {
        Check(jobId, nameof(StopAsync));
        supervisor.Stop(jobId, reason, message);
        return Task.CompletedTask;
    }

    public Task AskToStopAsync(string jobId)
    {
        Check(jobId, nameof(AskToStopAsync));
        supervisor.AskToStop(jobId);
        return Task.CompletedTask;
    }

    public Task EndAsync(string jobId, string message)
    {
        Check(jobId, nameof(EndAsync));
        supervisor.End(jobId, message);
        return Task.CompletedTask;
    }

    public Task<HostJobState> InspectAsync(string jobId)
    {
        Check(jobId, nameof(InspectAsync));
        return Task.FromResult(supervisor.Inspect(jobId));
    }

    public Task<bool> SnapshotFilesAsync(string jobId)
    {
        Check(jobId, nameof(SnapshotFilesAsync));
        return workspaces.SnapshotAsync(jobId, CancellationToken.None);
    }

    /// <exception cref="ArgumentException">The id is not 32 lowercase hex digits; nothing was done.</exception>
    private void Check(string? jobId, string method)
    {
        if (JobIds.IsValid(jobId))
        {
            return;
        }

        var described = JobIds.Describe(jobId);
        LogRefusedId(method, described);
        throw new ArgumentException($"{method} refused: job id {described} is not {JobIds.Length} lowercase hex digits", "jobId");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host grain refused {Method}: job id {JobId} is not 32 lowercase hex digits")]
    private partial void LogRefusedId(string method, string jobId);
}
