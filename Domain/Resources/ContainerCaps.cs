using System.Globalization;
using Corral.Jobs;

namespace Corral.Resources;

/// <summary>
/// The smallest caps a job's container may get. Docker reads NanoCPUs 0, Memory 0 and PidsLimit 0 as "no limit",
/// so a limit that rounds to zero would run the job uncapped; every limit must stay at or above these floors.
/// </summary>
public static class ContainerCaps
{
    /// <summary>0.01 CPU: Docker's own floor for --cpus, and far above what rounds to NanoCPUs = 0.</summary>
    public const double MinCpu = 0.01;

    /// <summary>6 MiB: Docker's own floor for a memory limit.</summary>
    public const long MinMemoryBytes = 6L * 1024 * 1024;

    /// <summary>Why these limits would not cap a container (the first limit below its floor), or null when they all do.</summary>
    public static string? Uncapped(EffectiveLimits limits)
    {
        if (!double.IsFinite(limits.Cpu) || limits.Cpu < MinCpu)
        {
            return Format($"cpu limit {limits.Cpu} is below the minimum of {MinCpu} and would leave the container uncapped");
        }

        if (limits.MemoryBytes < MinMemoryBytes)
        {
            return $"memory limit {limits.MemoryBytes} bytes is below the minimum of {ByteSize.Format(MinMemoryBytes)} and would leave the container uncapped";
        }

        if (limits.Pids < 1)
        {
            return Format($"pids limit {limits.Pids} is below 1 and would leave the container uncapped");
        }

        return null;
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
