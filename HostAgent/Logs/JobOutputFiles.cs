using Corral.Configuration;

namespace Corral.HostAgent.Logs;

/// <summary>
/// The files job output goes to on this host, one per job: the job's container has it as its stdout and stderr
/// (<c>corral-run</c>, built from <c>HostAgent/OutputShim/corral-run.c</c>, makes it so and then runs the job's
/// command), and the agent reads it with <see cref="OutputFileLogSource"/>.
/// </summary>
/// <remarks>
/// <para>
/// Why not the engine's log: dockerd copies every line through its log driver, 23–47 MiB/s on a 2-core host,
/// and that was the whole log pipeline's ceiling. A write to this file is the job's own system call, and reading
/// it back costs one <c>read</c> per 256 KiB: no copier, no JSON, and the exact bytes (dockerd's json-file
/// writes every byte that is not UTF-8 as U+FFFD). The file outlives an agent restart, like the engine's log did,
/// so a restarted agent reads on from the offset its last stored row recorded.
/// </para>
/// <para>
/// Layout: <c>JOB_OUTPUT_DIR/&lt;worker&gt;/&lt;job id&gt;.out</c>. The folder and the file are the root's alone (0700,
/// 0600): no other user of the host, and not the job itself, can reach a job's output. The runner opens the file as the
/// container's root before it becomes the job's user, so the job writes there only through the runner, which bounds
/// what it writes (JOB_OUTPUT_MAX_BYTES_PER_HOUR).
/// </para>
/// </remarks>
public sealed class JobOutputFiles(HostAgentSettings settings)
{
    /// <summary>Where the job sees its output file; it is also the runner's first argument.</summary>
    public const string FileInContainer = "/.corral/output";

    /// <summary>Where the job container has the runner, read-only.</summary>
    public const string RunnerInContainer = "/.corral/run";

    public const string RunnerFileName = "corral-run";

    private const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The runner, next to the agent's assembly (the HostAgent build compiles it there).</summary>
    public static string RunnerPath => Path.Combine(AppContext.BaseDirectory, RunnerFileName);

    public string Folder => Path.Combine(settings.JobOutputDirectory, settings.WorkerName);

    public string PathFor(string jobId) => Path.Combine(Folder, $"{jobId}.out");

    /// <summary>
    /// Checks at start that jobs can be given an output file: the runner is there and the folder can be made.
    /// </summary>
    /// <exception cref="InvalidSettingException">The folder cannot be used (it names <c>JOB_OUTPUT_DIR</c>).</exception>
    /// <exception cref="FileNotFoundException">The runner is missing.</exception>
    public void EnsureReady()
    {
        if (!File.Exists(RunnerPath))
        {
            throw new FileNotFoundException(
                $"the job runner {RunnerPath} is missing; it is compiled by the HostAgent build, which needs gcc and libc6-dev", RunnerPath);
        }

        try
        {
            Directory.CreateDirectory(Folder, FolderMode);
            File.SetUnixFileMode(Folder, FolderMode);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new InvalidSettingException("JOB_OUTPUT_DIR", settings.JobOutputDirectory, $"cannot make {Folder}: {error.Message}");
        }
    }

    /// <summary>Creates the job's empty output file (or empties one left by a container that never started).</summary>
    public string Create(string jobId)
    {
        var path = PathFor(jobId);
        Directory.CreateDirectory(Folder, FolderMode);
        using (new FileStream(path, System.IO.FileMode.Create, FileAccess.Write))
        {
        }

        File.SetUnixFileMode(path, FileMode);
        return path;
    }

    /// <summary>Deletes the job's output file; call it once the file is read to its end and the container is gone.</summary>
    public void Delete(string jobId) => File.Delete(PathFor(jobId));

    /// <summary>Deletes the output files of jobs that have no container any more (an agent that stopped in between).</summary>
    public void DeleteAllBut(IReadOnlySet<string> jobsWithContainers)
    {
        if (!Directory.Exists(Folder))
        {
            return;
        }

        foreach (var path in Directory.EnumerateFiles(Folder, "*.out"))
        {
            if (!jobsWithContainers.Contains(Path.GetFileNameWithoutExtension(path)))
            {
                File.Delete(path);
            }
        }
    }
}
