using System.Globalization;
using System.Text.Json;

namespace Corral.Cli;

/// <summary>How a job reads in a table or a status line.</summary>
public static class JobText
{
    /// <summary>"queued (position 2)", "running on w1", "failed: exit_code (exit code 3)".</summary>
    public static string StatusWords(JsonElement job)
    {
        var status = JobOutcome.Status(job);
        var reason = JobOutcome.Text(job, "terminationReason");
        var worker = JobOutcome.Text(job, "worker");
        var words = status switch
        {
            "queued" when Number(job, "queuePosition") is { } position => $"queued (position {position})",
            "starting" or "running" when worker is not null => $"{status} on {worker}",
            _ when reason is not null => $"{status}: {reason}",
            _ => status,
        };
        if (Number(job, "exitCode") is { } exit && JobOutcome.IsTerminal(job))
        {
            words += $" (exit code {exit})";
        }

        // The message says why a job waits or failed; for a plain non-zero exit the code already says it.
        return JobOutcome.Text(job, "message") is { Length: > 0 } message && (status == "pending" || (status == "failed" && reason != "exit_code"))
            ? $"{words}: {message}"
            : words;
    }

    /// <summary>From start to end (or now): "1h02m", "3m05s", "12s"; empty before it started.</summary>
    public static string Runtime(JsonElement job, DateTimeOffset now)
    {
        if (Time(job, "startedAt") is not { } started)
        {
            return "";
        }

        var span = (Time(job, "finishedAt") ?? now) - started;
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }

        return span.TotalHours >= 1
            ? $"{(int)span.TotalHours}h{span.Minutes:00}m"
            : span.TotalMinutes >= 1 ? $"{span.Minutes}m{span.Seconds:00}s" : $"{span.Seconds}s";
    }

    public static long? Number(JsonElement job, string name) =>
        job.ValueKind == JsonValueKind.Object && job.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetInt64()
            : null;

    public static DateTimeOffset? Time(JsonElement job, string name) =>
        JobOutcome.Text(job, name) is { } text
            ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind)
            : null;

    /// <summary>Any JSON value as a cell: strings as they are, null as empty, the rest as JSON.</summary>
    public static string Cell(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Null or JsonValueKind.Undefined => "",
        _ => value.GetRawText(),
    };

    /// <summary>A figure in seconds (cpuSeconds, gpuSeconds) to a tenth; empty when absent.</summary>
    public static string Seconds(JsonElement job, string name) =>
        job.ValueKind == JsonValueKind.Object && job.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble().ToString("0.0", CultureInfo.InvariantCulture)
            : "";

    public static string Cell(JsonElement job, string name) =>
        job.ValueKind == JsonValueKind.Object && job.TryGetProperty(name, out var value) ? Cell(value) : "";
}
