namespace Corral.Benchmarks.Live;

/// <summary>CPU time each process of a live system used over a span, and how busy the machine was in all.</summary>
public sealed record CpuUsage(IReadOnlyDictionary<string, TimeSpan> ByProcess, double MachineBusyPercent);

/// <summary>
/// Measures <see cref="CpuUsage"/> between <see cref="Start"/> and <see cref="Stop"/>: the processes' own counters,
/// and the machine's from /proc/stat, whose busy time beyond the processes' is reported as "rest_of_machine"
/// (the container engine, the database, and anything else running here at the time).
/// </summary>
public sealed class CpuMeter
{
    private readonly LiveProcesses _system;
    private readonly Dictionary<string, TimeSpan> _processes;
    private readonly (TimeSpan Busy, TimeSpan Total) _machine;

    private CpuMeter(LiveProcesses system)
    {
        _system = system;
        _processes = system.CpuTimes();
        _machine = MachineTimes();
    }

    public static CpuMeter Start(LiveProcesses system) => new(system);

    public CpuUsage Stop()
    {
        var processes = _system.CpuTimes();
        var machine = MachineTimes();
        var used = processes.ToDictionary(p => p.Key, p => p.Value - _processes[p.Key], StringComparer.Ordinal);
        var busy = machine.Busy - _machine.Busy;
        used["rest_of_machine"] = busy - used.Values.Aggregate(TimeSpan.Zero, (sum, t) => sum + t);
        var total = machine.Total - _machine.Total;
        return new CpuUsage(used, total > TimeSpan.Zero ? 100 * busy / total : double.NaN);
    }

    /// <summary>Busy and total time of all cores together, from the first line of /proc/stat (in clock ticks of 10 ms).</summary>
    public static (TimeSpan Busy, TimeSpan Total) MachineTimes()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(long.Parse).ToArray();
        // user nice system idle iowait irq softirq steal: idle and iowait are the not-busy ones.
        var total = fields.Take(8).Sum();
        var busy = total - fields[3] - fields[4];
        return (TimeSpan.FromMilliseconds(busy * 10), TimeSpan.FromMilliseconds(total * 10));
    }
}
