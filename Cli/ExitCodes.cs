namespace Corral.Cli;

/// <summary>The exit codes corral documents (README, "Command-line client"); --attach otherwise exits with the job's own code.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int ApiError = 1;
    public const int Usage = 2;
    public const int MaxDurationExceeded = 124;
    public const int FailedWithoutExitCode = 125;
    public const int QuotaExceeded = 126;
    public const int Cancelled = 130;
    public const int OutOfMemory = 137;
}
