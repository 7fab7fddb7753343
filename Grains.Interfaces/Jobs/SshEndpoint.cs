namespace Corral.Jobs;

[GenerateSerializer, Immutable, Alias("corral.ssh-endpoint")]
public sealed record SshEndpoint(
    [property: Id(0)] string Host,
    [property: Id(1)] int Port,
    [property: Id(2)] string User);
