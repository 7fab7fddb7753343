namespace Corral.Jobs;

/// <summary>How a container ended, as the host agent saw it.</summary>
[GenerateSerializer, Immutable, Alias("corral.job-outcome")]
public sealed record JobOutcome(
    [property: Id(0)] int? ExitCode,
    [property: Id(1)] TerminationReason? Reason,
    [property: Id(2)] string? Message)
{
    /// <summary>Exit code 0 succeeds; anything else fails with <see cref="TerminationReason.ExitCode"/>.</summary>
    public static JobOutcome FromExit(int exitCode, bool oomKilled) => oomKilled
        ? new(exitCode, TerminationReason.OutOfMemory, "the container ran out of memory and was killed")
        : exitCode == 0
            ? new(0, null, null)
            : new(exitCode, TerminationReason.ExitCode, $"exited with code {exitCode}");

    public static JobOutcome Killed(TerminationReason reason, string message, int? exitCode = null) =>
        new(exitCode, reason, message);
}
