using Corral.Jobs;

namespace Corral.HostAgent.Jobs;

/// <summary>What a monitor gets when it starts watching a job's container.</summary>
/// <param name="Job">The supervised job; monitors record their figures on it (e.g. <see cref="SupervisedJob.EgressBytes"/>).</param>
/// <param name="KillAsync">Ends the job with a reason (a quota crossed); the first reason given wins.</param>
public sealed record JobMonitorContext(
    SupervisedJob Job,
    Func<TerminationReason, string, Task> KillAsync)
{
    /// <summary>
    /// The job's container: created but not started yet, or (adopted after a restart) running or exited. A monitor
    /// that starts before the container exists (<see cref="IJobMonitor.StartsBeforeCreate"/>) may read it only once the
    /// container runs.
    /// </summary>
    public string ContainerId => Job.ContainerId ?? throw new InvalidOperationException($"job {Job.JobId} has no container yet");
}

/// <summary>
/// Something that watches a job container besides the log pump (the egress meter, say). The supervisor starts every
/// registered monitor before starting the container (most once it is created), so nothing the container does goes
/// unwatched, and disposes it when the container has exited. A monitor that cannot watch kills the job through the
/// context; the supervisor then never starts the container.
/// </summary>
public interface IJobMonitor
{
    /// <summary>
    /// Whether the monitor watches the job by what is known before its container exists (its MAC address), so it is
    /// started while the container is created, a user's wait the shorter. The container still starts after it.
    /// </summary>
    bool StartsBeforeCreate => false;

    Task<IAsyncDisposable> StartAsync(JobMonitorContext context, CancellationToken cancellationToken);
}
