using System.Data.Common;
using Corral.Files;
using Corral.HostAgent.Containers;
using Corral.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Corral.HostAgent.Workspaces;

/// <summary>
/// The working directories of this host's jobs: <c>JOB_WORK_DIR/&lt;job id&gt;</c> (by default
/// <c>JOB_OUTPUT_DIR/&lt;worker&gt;/work/&lt;job id&gt;</c>), bind-mounted at <see cref="InContainer"/> and owned by
/// the user jobs run as. The folder above them is the root's alone (0700), so no other user of the host reaches a
/// job's files; the bind mount does not pass through it.
/// </summary>
public sealed class JobWorkspaces(HostAgentSettings settings, IJobFileStore store, ILogger<JobWorkspaces>? logger = null)
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>Where the job sees its working directory; it is also the container's working directory.</summary>
    public const string InContainer = ContainerSpecBuilder.WorkInContainer;

    private const UnixFileMode RootOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    // Inputs are executable so that a script among them (run.sh) runs as ./run.sh, as it did on the user's machine.
    private const UnixFileMode Shared = RootOnly | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    public string Root => settings.JobWorkDirectory;

    public string PathFor(string jobId) => Path.Combine(Root, jobId);

    public bool Exists(string jobId) => Directory.Exists(PathFor(jobId));

    /// <summary>
    /// Makes the job's directory afresh (a folder left by a start that never ran is emptied) and copies the job's
    /// input files into it from the store, byte for byte; returns its path. On failure nothing is left. While the
    /// database is away it waits and fills the directory afresh (<see cref="DatabaseRetry"/>): an outage of the
    /// store delays the job, it does not fail it.
    /// </summary>
    /// <exception cref="IOException">The directory could not be made or filled; the message says why.</exception>
    public Task<string> PrepareAsync(string jobId, CancellationToken cancellationToken) =>
        DatabaseRetry.RunAsync($"copying the input files of job {jobId}", token => FillAsync(jobId, token), _logger, cancellationToken);

    private async Task<string> FillAsync(string jobId, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Root, RootOnly);
        var directory = PathFor(jobId);
        Delete(jobId);
        Directory.CreateDirectory(directory, Shared);
        try
        {
            foreach (var file in await store.ListAsync(jobId, JobFileSet.Inputs, cancellationToken))
            {
                await CopyInputAsync(jobId, directory, file.Path, cancellationToken);
            }

            GiveToJob(directory);
            return directory;
        }
        catch (DbException error) when (error is not NpgsqlException { IsTransient: true })
        {
            Delete(jobId);
            throw new IOException($"could not read the job's input files: {error.Message}", error);
        }
        catch
        {
            Delete(jobId);
            throw;
        }
    }

    /// <summary>Removes the job's directory, links inside it included (never what they point to).</summary>
    public void Delete(string jobId)
    {
        try
        {
            Directory.Delete(PathFor(jobId), recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>Removes the directories of jobs that have no container here (an agent that stopped in between).</summary>
    public IReadOnlyList<string> DeleteAllBut(IReadOnlySet<string> jobsWithContainers)
    {
        if (!Directory.Exists(Root))
        {
            return [];
        }

        var removed = new List<string>();
        foreach (var directory in Directory.EnumerateDirectories(Root))
        {
            var jobId = Path.GetFileName(directory);
            if (JobIds.IsValid(jobId) && !jobsWithContainers.Contains(jobId))
            {
                Delete(jobId);
                removed.Add(jobId);
            }
        }

        return removed;
    }

    /// <summary>
    /// The bytes of regular files under the job's directory (their apparent length, so a sparse file counts whole),
    /// walked without following links; 0 when there is no directory. Entries that vanish meanwhile are skipped.
    /// </summary>
    public long SizeOf(string jobId)
    {
        long total = 0;
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(PathFor(jobId)));
        while (pending.TryPop(out var current))
        {
            try
            {
                foreach (var entry in current.EnumerateFileSystemInfos())
                {
                    if (entry.LinkTarget is not null)
                    {
                        continue;
                    }

                    if (entry is DirectoryInfo child)
                    {
                        pending.Push(child);
                    }
                    else if (entry is FileInfo file)
                    {
                        total += file.Length;
                    }
                }
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                // Removed or replaced by the job while being walked: the next walk sees what is there then.
            }
        }

        return total;
    }

    private async Task CopyInputAsync(string jobId, string directory, string path, CancellationToken cancellationToken)
    {
        // Checked again here: a name the gateway let through must still never leave the directory.
        if (JobFilePath.Problem(path) is { } problem)
        {
            throw new IOException($"input file {JobIds.Describe(path)} {problem}");
        }

        var parent = directory;
        var segments = path.Split('/');
        foreach (var segment in segments[..^1])
        {
            parent = Path.Combine(parent, segment);
            if (!Directory.Exists(parent))
            {
                Directory.CreateDirectory(parent, Shared);
                GiveToJob(parent);
            }
        }

        var target = Path.Combine(parent, segments[^1]);
        await using (var stream = new FileStream(target, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = Shared,
            BufferSize = 0,
            Options = FileOptions.Asynchronous,
        }))
        {
            if (!await store.CopyToAsync(jobId, JobFileSet.Inputs, path, stream, cancellationToken))
            {
                throw new IOException($"input file '{path}' was removed from the store while being copied");
            }
        }

        GiveToJob(target);
    }

    private static void GiveToJob(string path) => FileOwner.Give(path, ContainerSpecBuilder.JobUid, ContainerSpecBuilder.JobGid);
}
