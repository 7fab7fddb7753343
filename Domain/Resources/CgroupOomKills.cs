namespace Corral.Resources;

/// <summary>
/// How many processes the kernel's OOM killer has ended in a container's memory cgroup: the <c>oom_kill</c> line of
/// cgroup v1's <c>memory.oom_control</c> (kernel 4.13 on) or of cgroup v2's <c>memory.events</c>. The engine's own OOM
/// event can be missed (an OOM in a container's first moments, before the engine watches its cgroup); this counter
/// cannot. Anything unreadable is null: no figure rather than a wrong one.
/// </summary>
public static class CgroupOomKills
{
    /// <summary>The v1 file's name (in the memory hierarchy).</summary>
    public const string V1File = "memory.oom_control";

    /// <summary>The v2 file's name.</summary>
    public const string V2File = "memory.events";

    private static readonly string[] V1Hierarchies = ["memory"];

    public static IReadOnlyList<string> Candidates(string containerId, string? cgroupParent, string root = CgroupPaths.DefaultRoot) =>
        CgroupPaths.Candidates(containerId, cgroupParent, V1Hierarchies, V1File, V2File, root);

    /// <summary>The <c>oom_kill</c> count in either file's text.</summary>
    public static long? Parse(string? content) => CgroupFlatKeyed.Value(content, "oom_kill");
}
