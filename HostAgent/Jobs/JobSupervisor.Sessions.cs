using Microsoft.Extensions.Logging;

namespace Corral.HostAgent.Jobs;

/// <summary>Ending a job whose end the cluster decided (an SSH session that reached its maximum duration).</summary>
public sealed partial class JobSupervisor
{
    /// <summary>Kills the container; the exit it reports afterwards is ignored by the job, which has ended already.</summary>
    public async Task EndAsync(string jobId, string message)
    {
        if (_jobs.TryGetValue(jobId, out var job) && job.ContainerId is { } containerId)
        {
            LogEnding(jobId, message);
            await runtime.KillAsync(containerId);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: ending its container: {Message}")]
    private partial void LogEnding(string jobId, string message);
}
