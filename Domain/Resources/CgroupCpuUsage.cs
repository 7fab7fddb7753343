using System.Globalization;

namespace Corral.Resources;

/// <summary>
/// Reads the CPU time a cgroup's processes have used so far from its accounting file: cgroup v1's
/// <c>cpuacct.usage</c> (nanoseconds, one number) or cgroup v2's <c>cpu.stat</c> (the <c>usage_usec</c> line).
/// Anything else (an empty file, a truncated read) is null: no figure rather than a wrong one.
/// </summary>
public static class CgroupCpuUsage
{
    /// <summary>The v1 file's name (in the cpuacct hierarchy).</summary>
    public const string V1File = "cpuacct.usage";

    /// <summary>The v2 file's name.</summary>
    public const string V2File = "cpu.stat";

    /// <summary>Parses the file named <paramref name="fileName"/> (<see cref="V1File"/> or <see cref="V2File"/>).</summary>
    public static TimeSpan? Parse(string fileName, string? content) =>
        fileName == V1File ? ParseCpuacctUsage(content) : ParseCpuStat(content);

    /// <summary>cgroup v1 <c>cpuacct.usage</c>: the CPU time in nanoseconds.</summary>
    public static TimeSpan? ParseCpuacctUsage(string? content) =>
        long.TryParse(content?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var nanoseconds)
            ? TimeSpan.FromTicks(nanoseconds / 100)
            : null;

    /// <summary>cgroup v2 <c>cpu.stat</c>: the <c>usage_usec</c> line, in microseconds.</summary>
    public static TimeSpan? ParseCpuStat(string? content) =>
        CgroupFlatKeyed.Value(content, "usage_usec") is { } microseconds ? TimeSpan.FromTicks(microseconds * 10) : null;
}
