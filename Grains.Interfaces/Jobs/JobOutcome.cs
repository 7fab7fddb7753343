namespace Corral.Jobs;

/// <summary>
/// How a container ended, as the host agent saw it, with its final counters: a separate counters report could
/// arrive after the job ended, or not at all when the cluster is unreachable at that moment.
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.job-outcome")]
public sealed record JobOutcome(
    [property: Id(0)] int? ExitCode,
    [property: Id(1)] TerminationReason? Reason,
    [property: Id(2)] string? Message,
    [property: Id(3)] int Attempt = 0,
    [property: Id(4)] JobCounters? Counters = null)
{
    /// <summary>The attempt whose container this outcome is of; 0 (from an agent that did not say) reads as the first.</summary>
    public int AttemptOrFirst => Math.Max(1, Attempt);

    /// <summary>Exit code 0 succeeds; anything else fails with <see cref="TerminationReason.ExitCode"/>.</summary>
    public static JobOutcome FromExit(int exitCode, bool oomKilled) => oomKilled
        ? new(exitCode, TerminationReason.OutOfMemory, "the container ran out of memory and was killed")
        : exitCode == 0
            ? new(0, null, null)
            : new(exitCode, TerminationReason.ExitCode, $"exited with code {exitCode}");

    /// <summary>The message of a job ended for its maximum duration, by its host agent or by its grain.</summary>
    public static string MaxDurationMessage(int seconds) => $"ran past its maximum duration of {seconds} s";

    public static JobOutcome Killed(TerminationReason reason, string message, int? exitCode = null) =>
        new(exitCode, reason, message);
}
