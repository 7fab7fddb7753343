using System.Collections.Immutable;
using Corral.Jobs;
using Orleans.Concurrency;

namespace Corral.Workers;

/// <summary>
/// A job that holds a quota slot and waits for a worker. A retried job (<paramref name="Attempt"/> above 1) goes to
/// the head of the pending jobs.
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.placement-request")]
public sealed record PlacementRequest(
    [property: Id(0)] string JobId,
    [property: Id(1)] string User,
    [property: Id(2)] JobKind Kind,
    [property: Id(3)] ResourceRequest Resources,
    [property: Id(4)] string Image,
    [property: Id(5)] int Attempt = 1);

/// <summary>Matches admitted jobs to workers that satisfy them, fairly across users. One per cluster (key 0).</summary>
public interface IDispatcherGrain : IGrainWithIntegerKey
{
    /// <summary>Adds a job to the pending set (idempotent) and schedules a placement pass.</summary>
    Task EnqueueAsync(PlacementRequest request);

    /// <summary>The job no longer needs a worker (cancelled).</summary>
    [OneWay]
    Task RemoveAsync(string jobId);

    /// <summary>A worker joined, changed or freed room: try placing again.</summary>
    [OneWay]
    Task WorkerChangedAsync(WorkerView worker);

    Task<ImmutableArray<WorkerView>> GetWorkersAsync();

    /// <summary>Whether any live worker has this image locally.</summary>
    Task<bool> IsImageAvailableAsync(string image);
}
