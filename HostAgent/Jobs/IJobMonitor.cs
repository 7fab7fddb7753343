using Corral.Jobs;

namespace Corral.HostAgent.Jobs;

/// <summary>What a monitor gets when a job's container starts running.</summary>
/// <param name="Job">The supervised job; monitors record their figures on it (e.g. <see cref="SupervisedJob.EgressBytes"/>).</param>
/// <param name="ContainerId">The running container.</param>
/// <param name="KillAsync">Ends the job with a reason (a quota crossed); the first reason given wins.</param>
public sealed record JobMonitorContext(
    SupervisedJob Job,
    string ContainerId,
    Func<TerminationReason, string, Task> KillAsync);

/// <summary>
/// Something that watches a running job container besides the log pump (the egress meter, say). The supervisor
/// starts every registered monitor once the container runs and disposes it when the container has exited.
/// </summary>
public interface IJobMonitor
{
    Task<IAsyncDisposable> StartAsync(JobMonitorContext context, CancellationToken cancellationToken);
}
