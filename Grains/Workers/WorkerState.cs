using Corral.Jobs;

namespace Corral.Workers;

[GenerateSerializer, Alias("corral.worker-state")]
public sealed class WorkerState
{
    [Id(0)] public WorkerRegistration? Registration { get; set; }

    /// <summary>Room reserved per job, until the job ends.</summary>
    [Id(1)] public Dictionary<string, EffectiveLimits> Allocations { get; set; } = [];

    /// <summary>An admin drained the worker: nothing new is placed on it.</summary>
    [Id(2)] public bool Draining { get; set; }
}
