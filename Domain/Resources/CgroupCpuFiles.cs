namespace Corral.Resources;

/// <summary>Where a container's CPU accounting file may be (<see cref="CgroupPaths"/>): the cpuacct hierarchy in v1.</summary>
public static class CgroupCpuFiles
{
    private static readonly string[] V1Hierarchies = ["cpuacct", "cpu,cpuacct"];

    public static IReadOnlyList<string> Candidates(string containerId, string? cgroupParent, string root = CgroupPaths.DefaultRoot) =>
        CgroupPaths.Candidates(containerId, cgroupParent, V1Hierarchies, CgroupCpuUsage.V1File, CgroupCpuUsage.V2File, root);
}
