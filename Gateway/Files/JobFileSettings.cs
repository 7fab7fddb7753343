using System.Globalization;
using Corral.Configuration;

namespace Corral.Gateway.Files;

/// <summary>
/// JOB_FILES_MAX_BYTES (a job's input files in all, default 400M), JOB_FILES_MAX_COUNT (default 10,000) and
/// JOB_FILES_RETENTION (how long after a job ends its files are kept: 7d, 12h, 30m, 90s or plain seconds;
/// default 7d). A bad value stops the gateway naming the variable.
/// </summary>
public sealed record JobFileSettings(long MaxBytes, int MaxCount, TimeSpan Retention)
{
    public const string MaxBytesVariable = "JOB_FILES_MAX_BYTES";

    public const string MaxCountVariable = "JOB_FILES_MAX_COUNT";

    public const string RetentionVariable = "JOB_FILES_RETENTION";

    public const long DefaultMaxBytes = 400L * 1000 * 1000;

    public const int DefaultMaxCount = 10_000;

    public static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(7);

    public static JobFileSettings Read(SettingsReader settings) => new(
        settings.GetByteSize(MaxBytesVariable) ?? DefaultMaxBytes,
        settings.GetInt(MaxCountVariable, DefaultMaxCount, 1),
        settings.GetString(RetentionVariable) is { Length: > 0 } raw ? ParseRetention(raw) : DefaultRetention);

    /// <exception cref="InvalidSettingException">Not a whole number of seconds, or of d, h, m or s units, at least 1 minute.</exception>
    public static TimeSpan ParseRetention(string raw)
    {
        var text = raw.Trim();
        var unit = text.Length > 0 && char.IsAsciiLetter(text[^1]) ? char.ToLowerInvariant(text[^1]) : 's';
        var number = char.IsAsciiLetter(text.Length > 0 ? text[^1] : ' ') ? text[..^1] : text;
        TimeSpan? retention = long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value <= 100_000_000
            ? unit switch
            {
                'd' => TimeSpan.FromDays(value),
                'h' => TimeSpan.FromHours(value),
                'm' => TimeSpan.FromMinutes(value),
                's' => TimeSpan.FromSeconds(value),
                _ => null,
            }
            : null;
        return retention is { } span && span >= TimeSpan.FromMinutes(1)
            ? span
            : throw new InvalidSettingException(RetentionVariable, raw, "it must be a whole number of days, hours, minutes or seconds such as 7d, 12h, 30m or 3600, at least one minute");
    }
}
