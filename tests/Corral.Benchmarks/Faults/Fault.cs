namespace Corral.Benchmarks.Faults;

/// <summary>
/// One fault: <see cref="InjectAsync"/> does the damage and any repair an operator's supervisor would do (restart a
/// process, a server), and returns the moment the system was left to heal itself, from which recovery is timed.
/// <see cref="AfterDrainAsync"/>, when there is one, checks what only this fault can break once the jobs have drained,
/// and returns figures of its own. <see cref="NeedsOwnEngine"/>: it restarts the Docker engine, so the suite's host agent
/// must run on an engine of the suite's own (<see cref="OwnEngineHost"/>), never on this machine's shared one.
/// </summary>
public sealed record Fault(
    string Name,
    string Description,
    Func<FaultContext, Task<DateTime>> InjectAsync,
    Func<FaultContext, InvariantCheck, Task<IReadOnlyDictionary<string, double>>>? AfterDrainAsync = null,
    bool NeedsOwnEngine = false);
