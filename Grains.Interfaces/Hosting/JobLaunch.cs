using Corral.Jobs;

namespace Corral.Hosting;

/// <summary>Everything a host agent needs to run one job's container.</summary>
[GenerateSerializer, Immutable, Alias("corral.job-launch")]
public sealed record JobLaunch(
    [property: Id(0)] string JobId,
    [property: Id(1)] string User,
    [property: Id(2)] JobSpec Spec,
    [property: Id(3)] EffectiveLimits Limits,
    [property: Id(4)] string Worker);
