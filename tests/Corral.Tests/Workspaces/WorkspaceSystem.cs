using Corral.Tests.EndToEnd;
using Xunit;

namespace Corral.Tests.Workspaces;

/// <summary>
/// The running system with a worker whose jobs' working directories are capped at <see cref="Cap"/> bytes
/// (JOB_WORK_MAX_BYTES=6Mi), and a job file store on its database for putting inputs in place and reading results.
/// </summary>
public sealed class WorkspaceSystem() : CorralSystem(new Dictionary<string, string> { ["JOB_WORK_MAX_BYTES"] = "6Mi" })
{
    public const long Cap = 6L << 20;

    /// <summary>Where the agent keeps this worker's jobs' working directories (JOB_WORK_DIR's default).</summary>
    public string WorkFolder => Path.Combine(JobOutputFolder, "work");
}

[CollectionDefinition(Name)]
public sealed class WorkspaceCollection : ICollectionFixture<WorkspaceSystem>
{
    public const string Name = "running system with capped working directories";
}
