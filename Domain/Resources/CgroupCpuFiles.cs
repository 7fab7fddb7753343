namespace Corral.Resources;

/// <summary>
/// Where a container's CPU accounting file may be, from its id and the cgroup parent the engine put it under
/// (CORRAL_JOB_CGROUP_PARENT; unset is the engine's default). Docker's cgroupfs driver makes <c>&lt;parent&gt;/&lt;id&gt;</c>
/// (parent <c>/docker</c> by default); its systemd driver makes <c>&lt;slice path&gt;/docker-&lt;id&gt;.scope</c>
/// (slice <c>system.slice</c> by default). cgroup v1 keeps the figure in the cpuacct hierarchy, v2 in the one
/// unified tree (mounted at <c>unified/</c> on a hybrid machine). The candidates are in the order to try; the first
/// that exists is the container's.
/// </summary>
public static class CgroupCpuFiles
{
    public const string DefaultRoot = "/sys/fs/cgroup";

    public static IReadOnlyList<string> Candidates(string containerId, string? cgroupParent, string root = DefaultRoot)
    {
        var groups = new List<string>();
        if (cgroupParent is null || !cgroupParent.EndsWith(".slice", StringComparison.Ordinal))
        {
            groups.Add($"{(cgroupParent ?? "/docker").TrimEnd('/')}/{containerId}");
        }

        if (cgroupParent is null || cgroupParent.EndsWith(".slice", StringComparison.Ordinal))
        {
            groups.Add($"{SlicePath(cgroupParent ?? "system.slice")}/docker-{containerId}.scope");
        }

        var files = new List<string>();
        foreach (var group in groups)
        {
            files.Add($"{root}/cpuacct{group}/{CgroupCpuUsage.V1File}");
            files.Add($"{root}/cpu,cpuacct{group}/{CgroupCpuUsage.V1File}");
            files.Add($"{root}{group}/{CgroupCpuUsage.V2File}");
            files.Add($"{root}/unified{group}/{CgroupCpuUsage.V2File}");
        }

        return files;
    }

    /// <summary>
    /// A systemd slice's cgroup path: each '-' in its name is a level, so <c>corral-jobs.slice</c> is
    /// <c>/corral.slice/corral-jobs.slice</c>.
    /// </summary>
    public static string SlicePath(string slice)
    {
        var name = slice[..^".slice".Length];
        var parts = name.Split('-');
        var path = string.Empty;
        for (var i = 1; i <= parts.Length; i++)
        {
            path += $"/{string.Join('-', parts[..i])}.slice";
        }

        return path;
    }
}
