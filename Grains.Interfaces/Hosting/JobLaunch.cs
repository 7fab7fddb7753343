using Corral.Jobs;

namespace Corral.Hosting;

/// <summary>
/// Everything a host agent needs to run one job's container. <paramref name="Attempt"/> (1-based) tells a retried
/// job's containers apart: the agent labels and names the container with it and reports it with every outcome.
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.job-launch")]
public sealed record JobLaunch(
    [property: Id(0)] string JobId,
    [property: Id(1)] string User,
    [property: Id(2)] JobSpec Spec,
    [property: Id(3)] EffectiveLimits Limits,
    [property: Id(4)] string Worker,
    [property: Id(5)] int Attempt = 1);
