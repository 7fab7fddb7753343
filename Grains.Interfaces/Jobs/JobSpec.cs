using System.Collections.Immutable;

namespace Corral.Jobs;

/// <summary>
/// A validated job submission (the gateway validates submissions into this). <paramref name="MaxDurationSeconds"/>
/// ends the job that long after it started running (the grain puts the service's default and ceiling in it);
/// <paramref name="Priority"/> orders it among its user's waiting jobs for the service; <paramref name="Retry"/> says
/// whether a job whose worker is lost runs again, and how often at most.
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.job-spec")]
public sealed record JobSpec(
    [property: Id(0)] string Service,
    [property: Id(1)] string Image,
    [property: Id(2)] ImmutableArray<string> Command,
    [property: Id(3)] JobKind Kind,
    [property: Id(4)] ImmutableDictionary<string, string> Env,
    [property: Id(5)] ResourceRequest Resources,
    [property: Id(6)] string? SshPublicKey,
    [property: Id(7)] int? MaxDurationSeconds = null,
    [property: Id(8)] JobPriority Priority = JobPriority.Normal,
    [property: Id(9)] RetryPolicy? Retry = null);
