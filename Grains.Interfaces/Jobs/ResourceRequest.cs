namespace Corral.Jobs;

/// <summary>What a job asked for. Null means "not given": the defaults in <see cref="ResourceDefaults"/> apply.</summary>
[GenerateSerializer, Immutable, Alias("corral.resource-request")]
public sealed record ResourceRequest(
    [property: Id(0)] double? Cpu,
    [property: Id(1)] long? MemoryBytes,
    [property: Id(2)] int? Pids,
    [property: Id(3)] GpuRequest? Gpu)
{
    public static readonly ResourceRequest None = new(null, null, null, null);

    public double EffectiveCpu => Cpu ?? ResourceDefaults.Cpu;

    public long EffectiveMemoryBytes => MemoryBytes ?? ResourceDefaults.MemoryBytes;

    public int EffectivePids => Pids ?? ResourceDefaults.Pids;

    public int GpuCount => Gpu?.Count ?? 0;
}

/// <summary>Caps applied when a spec leaves a resource out (issue: 1 CPU, 1 GiB, 1024 pids).</summary>
public static class ResourceDefaults
{
    public const double Cpu = 1.0;
    public const long MemoryBytes = 1L << 30;
    public const int Pids = 1024;
}
