using System.Text.RegularExpressions;

namespace Corral.Hosting;

/// <summary>
/// Takes secrets out of a log line: the SignalR hub's access_token query value (browsers cannot send headers on a
/// WebSocket, so request lines carry it), a Bearer credential, and anything shaped like a Corral token.
/// </summary>
public static partial class LogRedaction
{
    public const string Redacted = "[redacted]";

    public static string Redact(string line) =>
        line.Contains("access_token", StringComparison.OrdinalIgnoreCase)
        || line.Contains("bearer", StringComparison.OrdinalIgnoreCase)
        || line.Contains("corral_", StringComparison.Ordinal)
            ? Secrets().Replace(line, m => m.Groups["keep"].Value + Redacted)
            : line;

    // Corral tokens are "corral_" and 43 base64url characters; 32 or more after the prefix leaves table and database
    // names (corral_job_logs, corral_e2e_0123456789) readable.
    [GeneratedRegex(
        @"(?<keep>access_token(?:=|%3D))[^&\s""'#]*|(?<keep>\bbearer\s+)[A-Za-z0-9._~+/=-]+|(?<keep>corral_)[A-Za-z0-9_-]{32,}",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Secrets();
}
