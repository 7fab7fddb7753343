using Corral.Jobs;

namespace Corral.HostAgent.Jobs;

/// <summary>What a monitor gets when it starts watching a job's container.</summary>
/// <param name="Job">The supervised job; monitors record their figures on it (e.g. <see cref="SupervisedJob.EgressBytes"/>).</param>
/// <param name="ContainerId">The job's container: created but not started yet, or (adopted after a restart) running or exited.</param>
/// <param name="KillAsync">Ends the job with a reason (a quota crossed); the first reason given wins.</param>
public sealed record JobMonitorContext(
    SupervisedJob Job,
    string ContainerId,
    Func<TerminationReason, string, Task> KillAsync);

/// <summary>
/// Something that watches a job container besides the log pump (the egress meter, say). The supervisor starts every
/// registered monitor after creating the container and before starting it, so nothing the container does goes
/// unwatched, and disposes it when the container has exited. A monitor that cannot watch kills the job through the
/// context; the supervisor then never starts the container.
/// </summary>
public interface IJobMonitor
{
    Task<IAsyncDisposable> StartAsync(JobMonitorContext context, CancellationToken cancellationToken);
}
