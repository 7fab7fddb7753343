using System.Globalization;

namespace Corral.Resources;

/// <summary>
/// A cgroup file in the kernel's "flat keyed" format, one <c>key value</c> pair per line (<c>cpu.stat</c>,
/// <c>memory.events</c>, <c>memory.oom_control</c>).
/// </summary>
public static class CgroupFlatKeyed
{
    /// <summary>The value of <paramref name="key"/>, or null when the line is missing or not a whole number.</summary>
    public static long? Value(string? content, string key)
    {
        foreach (var line in (content ?? string.Empty).Split('\n'))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[0] == key)
            {
                return long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
            }
        }

        return null;
    }
}
