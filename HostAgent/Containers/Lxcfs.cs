namespace Corral.HostAgent.Containers;

/// <summary>
/// lxcfs (deploy/lib/lxcfs.sh) serves /proc files computed from the reader's cgroup. Bind-mounted over a
/// session's /proc/meminfo, /proc/cpuinfo and friends, they show the session's caps instead of the host's.
/// </summary>
public static class Lxcfs
{
    public const string Root = "/var/lib/lxcfs";

    // Not /proc/loadavg: lxcfs serves the host's figures there unless started with -l (we do not), and dropbear's
    // listener reads /proc/loadavg for its random pool on every connection it accepts, before it forks, so a busy
    // lxcfs would hold up every login to the session.
    private static readonly string[] Files =
    [
        "proc/cpuinfo", "proc/diskstats", "proc/meminfo", "proc/stat", "proc/swaps", "proc/uptime",
        "sys/devices/system/cpu/online",
    ];

    /// <summary>
    /// The binds for the files a live lxcfs serves now; empty when it does not run (a dead lxcfs leaves a mount
    /// whose files cannot even be looked at, so they count as absent).
    /// </summary>
    public static IReadOnlyList<string> AvailableBinds() =>
        [.. Files.Where(f => File.Exists(Path.Combine(Root, f))).Select(f => $"{Root}/{f}:/{f}:ro")];

    public static bool IsAvailable() => File.Exists(Path.Combine(Root, "proc/meminfo"));
}
