using System.Collections.Immutable;

namespace Corral.Workers;

/// <summary>
/// What a host agent tells its worker grain at start and on every heartbeat.
/// <paramref name="HostKey"/> names the host grain of this agent's current silo incarnation.
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.worker-registration")]
public sealed record WorkerRegistration(
    [property: Id(0)] string HostKey,
    [property: Id(1)] WorkerCapacity Capacity,
    [property: Id(2)] SshCaps SshCaps,
    [property: Id(3)] ImmutableArray<string> Images,
    [property: Id(4)] string Address);
