namespace Corral.Benchmarks.Faults;

/// <summary>What the invariants found after one fault, from the stored data; every figure but JobsFailed must be 0.</summary>
public sealed record FaultOutcome(
    int Accepted,
    int Lost,
    int Doubled,
    int IncoherentHistories,
    int SlotsLeaked,
    int SlotsOverLimit,
    int LogsWrong,
    int JobsFailed);
