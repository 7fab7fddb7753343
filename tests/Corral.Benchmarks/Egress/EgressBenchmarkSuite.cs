namespace Corral.Benchmarks.Egress;

/// <summary>
/// Bytes that leave past the data-transfer quota with the kernel's quota match against a poll-only meter at the
/// seed's 10 s interval, and the CPU time of one counter poll with 100 jobs. Needs root, Docker and iptables.
/// </summary>
public sealed class EgressBenchmarkSuite : IBenchmarkSuite
{
    public string Name => "egress";

    public string Description => "data-transfer quota overshoot (kernel quota vs 10 s poll) and poll CPU with 100 jobs";

    public Task RunAsync(BenchmarkReport report, CancellationToken cancellationToken) => EgressSuite.RunAsync(Console.Out);
}
