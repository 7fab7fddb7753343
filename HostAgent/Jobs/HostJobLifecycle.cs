using Corral.Hosting;

namespace Corral.HostAgent.Jobs;

/// <summary>
/// The one place that says how a job's container moves through its phases on this host, as
/// <see cref="Corral.Jobs.JobStateMachine"/> does for the job in the cluster. Exited is final: the outcome was
/// reported once and is never replaced. Unknown is what the host says of a job it does not supervise; no supervised
/// job is ever in it.
/// </summary>
public static class HostJobLifecycle
{
    /// <summary>
    /// Where supervision begins: Starting for a job handed over by its grain, Running for a container adopted
    /// from an earlier run of the agent (it was started then).
    /// </summary>
    public static bool CanBegin(HostJobPhase phase) => phase is HostJobPhase.Starting or HostJobPhase.Running;

    public static bool IsFinal(HostJobPhase phase) => phase == HostJobPhase.Exited;

    public static bool CanMove(HostJobPhase from, HostJobPhase to) => (from, to) switch
    {
        (HostJobPhase.Starting, HostJobPhase.Running) => true,
        // Never started: the engine refused it, or it was stopped (cancelled, refused by a monitor) while being created.
        (HostJobPhase.Starting, HostJobPhase.Exited) => true,
        (HostJobPhase.Running, HostJobPhase.Exited) => true,
        _ => false,
    };
}
