namespace Corral.Benchmarks.Live;

/// <summary>How long a server took from its launch to ready, and the CPU time it used to get there.</summary>
public sealed record ProcessStart(TimeSpan Ready, TimeSpan Cpu);
