using System.Collections.Immutable;

namespace Corral.Workers;

/// <summary>
/// What a host agent tells its worker grain at start and on every heartbeat.
/// <paramref name="HostKey"/> names the host grain of this agent's current silo incarnation.
/// <paramref name="SshGpuLimit"/> is ENABLE_SSH_GPU_LIMIT: SSH sessions get only the GPUs they asked for.
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.worker-registration")]
public sealed record WorkerRegistration(
    [property: Id(0)] string HostKey,
    [property: Id(1)] WorkerCapacity Capacity,
    [property: Id(2)] SshCaps SshCaps,
    [property: Id(3)] ImmutableArray<string> Images,
    [property: Id(4)] string Address,
    [property: Id(5)] bool SshGpuLimit = false);
