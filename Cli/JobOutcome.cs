using System.Text.Json;

namespace Corral.Cli;

/// <summary>Reads a job view: whether it has ended, and the exit code corral run --attach ends with.</summary>
public static class JobOutcome
{
    public static string Status(JsonElement job) => Text(job, "status") ?? "";

    public static bool IsTerminal(JsonElement job) => Status(job) is "succeeded" or "failed" or "cancelled";

    /// <summary>The job's own exit code where it has one; otherwise the documented code for why it ended.</summary>
    public static int ExitCode(JsonElement job)
    {
        var exitCode = job.TryGetProperty("exitCode", out var code) && code.ValueKind == JsonValueKind.Number ? code.GetInt32() : (int?)null;
        if (Status(job) == "succeeded")
        {
            return ExitCodes.Ok;
        }

        return Text(job, "terminationReason") switch
        {
            "cancelled_by_user" => ExitCodes.Cancelled,
            "log_quota_exceeded" or "data_transfer_quota_exceeded" or "disk_quota_exceeded" or "output_quota_exceeded" => ExitCodes.QuotaExceeded,
            "max_duration_exceeded" => ExitCodes.MaxDurationExceeded,
            "out_of_memory" => exitCode is > 0 ? exitCode.Value : ExitCodes.OutOfMemory,
            "exit_code" when exitCode is > 0 => exitCode.Value & 0xFF,
            _ => Status(job) == "cancelled" ? ExitCodes.Cancelled : ExitCodes.FailedWithoutExitCode,
        };
    }

    public static string? Text(JsonElement job, string name) =>
        job.ValueKind == JsonValueKind.Object && job.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
