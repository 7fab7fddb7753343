using System.Collections;
using System.Globalization;
using Corral.Resources;

namespace Corral.Configuration;

/// <summary>
/// Reads settings from environment variables. A value that does not parse stops the process at start with
/// a message that names the variable and the value (<see cref="InvalidSettingException"/>).
/// </summary>
public sealed class SettingsReader(IDictionary environment)
{
    public static SettingsReader FromProcess() => new(System.Environment.GetEnvironmentVariables());

    public IDictionary Environment { get; } = environment;

    public string? GetString(string name) =>
        Environment[name] is string value && value.Length > 0 ? value : null;

    public string GetString(string name, string fallback) => GetString(name) ?? fallback;

    public string GetRequiredString(string name) =>
        GetString(name) ?? throw new InvalidSettingException(name, string.Empty, "it is required");

    public long GetLong(string name, long fallback, long min)
    {
        if (Environment[name] is not string raw)
        {
            return fallback;
        }

        if (!long.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min)
        {
            throw new InvalidSettingException(name, raw, $"it must be a whole number of at least {min}");
        }

        return value;
    }

    public int GetInt(string name, int fallback, int min) => (int)Math.Min(int.MaxValue, GetLong(name, fallback, min));

    /// <summary>A number of at least <paramref name="min"/> (which must be greater than 0), or null when unset.</summary>
    public double? GetDouble(string name, double min)
    {
        if (Environment[name] is not string raw || raw.Length == 0)
        {
            return null;
        }

        if (!double.TryParse(raw.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            || value < min || double.IsInfinity(value))
        {
            throw new InvalidSettingException(name, raw, $"it must be a number of at least {min.ToString(CultureInfo.InvariantCulture)}");
        }

        return value;
    }

    /// <summary>A size with units (512Mi, 1.5G, 2048), or null when unset.</summary>
    public long? GetByteSize(string name)
    {
        if (Environment[name] is not string raw || raw.Length == 0)
        {
            return null;
        }

        if (!ByteSize.TryParse(raw, out var bytes) || bytes <= 0)
        {
            throw new InvalidSettingException(name, raw, "it must be a size such as 512Mi, 1.5G or 2048");
        }

        return bytes;
    }

    public bool GetBool(string name, bool fallback)
    {
        if (Environment[name] is not string raw || raw.Length == 0)
        {
            return fallback;
        }

        return raw.Trim().ToLowerInvariant() switch
        {
            "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            _ => throw new InvalidSettingException(name, raw, "it must be true or false"),
        };
    }
}
