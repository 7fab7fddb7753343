using Corral.Hosting;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent.Jobs;

/// <summary>
/// Stopping containers of jobs whose end the cluster decided: an SSH session that reached its maximum duration,
/// or a job cancelled while this agent could not be told (an SSH session never ends on its own).
/// </summary>
public sealed partial class JobSupervisor
{
    /// <summary>
    /// Kills the container in the background, as <see cref="Stop"/> does; the exit it reports afterwards is ignored by
    /// the job, which has ended already.
    /// </summary>
    public void End(string jobId, string message)
    {
        if (_jobs.TryGetValue(jobId, out var job) && job.ContainerId is { } containerId)
        {
            LogEnding(jobId, message);
            InBackground(jobId, () => runtime.KillAsync(containerId));
        }
    }

    /// <summary>
    /// Asks the cluster about every running container and ends those whose job has ended there, or runs a later
    /// attempt (its worker was lost while this agent was away).
    /// </summary>
    public async Task EndOrphansAsync()
    {
        foreach (var job in _jobs.Values.Where(j => j.Phase == HostJobPhase.Running))
        {
            if (await reporter.HasEndedAsync(job.JobId, job.Attempt) == true)
            {
                End(job.JobId, "the job ended in the cluster, or moved on to a later attempt, while this agent could not be told");
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: ending its container: {Message}")]
    private partial void LogEnding(string jobId, string message);
}
