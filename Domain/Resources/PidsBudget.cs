using System.Globalization;
using Corral.Configuration;

namespace Corral.Resources;

/// <summary>
/// How many processes a worker's jobs may hold together: the machine's pids limit less a reserve, so the agent, the
/// engine and iptables can still fork while every job forks up to its own pids limit. The reserve is
/// WORKER_PIDS_RESERVE, by default a tenth of the limit and at least <see cref="MinimumReserve"/>.
/// </summary>
public static class PidsBudget
{
    public const string ReserveVariable = "WORKER_PIDS_RESERVE";

    public const long MinimumReserve = 1024;

    /// <summary>
    /// The machine's limit: the smallest number among the texts read (kernel.pid_max, kernel.threads-max, the
    /// engine's cgroup pids.max); "max", an absent file (null) or anything else not a number sets no limit.
    /// </summary>
    public static long? MachineLimit(IEnumerable<string?> texts)
    {
        long? limit = null;
        foreach (var text in texts)
        {
            if (long.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0)
            {
                limit = Math.Min(limit ?? long.MaxValue, value);
            }
        }

        return limit;
    }

    /// <summary>A tenth, at least <see cref="MinimumReserve"/>, never more than half (on a machine with very few).</summary>
    public static long DefaultReserve(long machineLimit) => Math.Min(Math.Max(MinimumReserve, machineLimit / 10), machineLimit / 2);

    /// <summary>
    /// The jobs' share of <paramref name="machineLimit"/>; a reserve that leaves jobs nothing stops the agent, naming
    /// the setting.
    /// </summary>
    public static long ForJobs(long machineLimit, SettingsReader settings)
    {
        var reserve = settings.GetLong(ReserveVariable, DefaultReserve(machineLimit), 0);
        if (reserve >= machineLimit)
        {
            throw new InvalidSettingException(ReserveVariable, reserve.ToString(CultureInfo.InvariantCulture),
                $"it must be less than this machine's pids limit ({machineLimit.ToString(CultureInfo.InvariantCulture)})");
        }

        return machineLimit - reserve;
    }
}
