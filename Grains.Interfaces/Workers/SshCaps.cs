namespace Corral.Workers;

/// <summary>Operator caps for SSH sessions on a worker (SSH_MAX_*). Null means uncapped.</summary>
[GenerateSerializer, Immutable, Alias("corral.ssh-caps")]
public sealed record SshCaps(
    [property: Id(0)] double? MaxCpu,
    [property: Id(1)] long? MaxMemoryBytes,
    [property: Id(2)] int? MaxPids)
{
    public static readonly SshCaps Uncapped = new(null, null, null);
}
