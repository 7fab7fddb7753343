using System.Collections.Immutable;

namespace Corral.Workers;

/// <summary>One worker host: capacity, what is reserved on it, and whether its agent is alive.</summary>
public interface IWorkerGrain : IGrainWithStringKey
{
    /// <summary>Called by the host agent at start and on every heartbeat.</summary>
    Task RegisterAsync(WorkerRegistration registration);

    /// <summary>
    /// Atomically reserves room for several jobs at once, in the order given, with one write for all of them.
    /// Idempotent per job. Jobs that do not fit (room, caps, GPUs, image) are left out of the answer.
    /// </summary>
    Task<ReservationBatch> TryReserveManyAsync(ImmutableArray<PlacementRequest> requests);

    /// <summary>Gives back a job's room. Idempotent.</summary>
    Task ReleaseAsync(string jobId);

    Task<WorkerView?> GetAsync();

    /// <summary>
    /// Drains the worker (no new job is placed on it; running jobs carry on) or opens it again. Persisted, so a
    /// drained worker stays drained across restarts of its agent and of the cluster. Null when no such worker registered.
    /// </summary>
    Task<WorkerView?> SetDrainingAsync(bool draining);

    /// <summary>
    /// Has this worker's host agent copy a running job's working directory into its result files (for a download
    /// while it runs); false when the agent is gone or the job has no directory there. Clients call this, not the
    /// host grain: a client knows only the grain types of the silos it connects to, and host grains live on agents.
    /// </summary>
    Task<bool> SnapshotFilesAsync(string jobId);

    /// <summary>The key of the live host grain, or null when the agent is gone.</summary>
    Task<string?> GetLiveHostKeyAsync();
}
