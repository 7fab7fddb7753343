namespace Corral.Resources;

/// <summary>
/// Where a container's cgroup files may be, from its id and the cgroup parent the engine put it under
/// (CORRAL_JOB_CGROUP_PARENT; unset is the engine's default). Docker's cgroupfs driver makes <c>&lt;parent&gt;/&lt;id&gt;</c>
/// (parent <c>/docker</c> by default); its systemd driver makes <c>&lt;slice path&gt;/docker-&lt;id&gt;.scope</c>
/// (slice <c>system.slice</c> by default). cgroup v1 keeps each controller's files in its own hierarchy, v2 in the one
/// unified tree (mounted at <c>unified/</c> on a hybrid machine). The candidates are in the order to try; the first
/// that exists is the container's.
/// </summary>
public static class CgroupPaths
{
    public const string DefaultRoot = "/sys/fs/cgroup";

    /// <summary>
    /// The candidate paths of one figure: <paramref name="v1File"/> under each of <paramref name="v1Hierarchies"/>
    /// (a controller can be mounted under more than one name, <c>cpu,cpuacct</c> say), then <paramref name="v2File"/>.
    /// </summary>
    public static IReadOnlyList<string> Candidates(
        string containerId, string? cgroupParent, IReadOnlyList<string> v1Hierarchies, string v1File, string v2File, string root = DefaultRoot)
    {
        var files = new List<string>();
        foreach (var group in Groups(containerId, cgroupParent))
        {
            files.AddRange(v1Hierarchies.Select(hierarchy => $"{root}/{hierarchy}{group}/{v1File}"));
            files.Add($"{root}{group}/{v2File}");
            files.Add($"{root}/unified{group}/{v2File}");
        }

        return files;
    }

    /// <summary>The container's group, as a path from a hierarchy's root: one per driver the parent allows.</summary>
    private static IReadOnlyList<string> Groups(string containerId, string? cgroupParent)
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

        return groups;
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
