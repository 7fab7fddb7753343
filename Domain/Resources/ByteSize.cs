using System.Globalization;

namespace Corral.Resources;

/// <summary>
/// Parses memory sizes: plain bytes ("2048"), binary suffixes Ki/Mi/Gi/Ti and decimal suffixes K/M/G/T,
/// optionally followed by "B" ("40GB"), with an optional fraction ("1.5G"). Anything else is refused.
/// </summary>
public static class ByteSize
{
    private static readonly (string Suffix, decimal Multiplier)[] Suffixes =
    [
        ("Ki", 1024m), ("Mi", 1024m * 1024), ("Gi", 1024m * 1024 * 1024), ("Ti", 1024m * 1024 * 1024 * 1024),
        ("K", 1000m), ("M", 1000m * 1000), ("G", 1000m * 1000 * 1000), ("T", 1000m * 1000 * 1000 * 1000),
    ];

    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var value = text.Trim();
        var multiplier = 1m;
        var number = value;
        foreach (var (suffix, factor) in Suffixes)
        {
            if (TryStrip(value, suffix, out var rest))
            {
                multiplier = factor;
                number = rest;
                break;
            }
        }

        if (multiplier == 1m && number.EndsWith('B') && number.Length > 1 && char.IsDigit(number[^2]))
        {
            number = number[..^1];
        }

        if (number.Length == 0 || !char.IsDigit(number[0]) || !char.IsDigit(number[^1]))
        {
            return false;
        }

        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            return false;
        }

        // A fraction of a byte is meaningless; "1.5" bytes is refused rather than rounded.
        if (multiplier == 1m && amount != decimal.Truncate(amount))
        {
            return false;
        }

        try
        {
            var total = decimal.Truncate(amount * multiplier);
            if (total > long.MaxValue)
            {
                return false;
            }

            bytes = (long)total;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private static bool TryStrip(string value, string suffix, out string rest)
    {
        foreach (var candidate in new[] { suffix + "B", suffix })
        {
            if (value.EndsWith(candidate, StringComparison.Ordinal))
            {
                rest = value[..^candidate.Length].TrimEnd();
                return true;
            }
        }

        rest = value;
        return false;
    }

    /// <summary>Formats bytes for messages, in the largest binary unit that keeps one decimal.</summary>
    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }
}
