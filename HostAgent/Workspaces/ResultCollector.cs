using System.Formats.Tar;
using Corral.Files;

namespace Corral.HostAgent.Workspaces;

/// <summary>
/// Stores a job's working directory, given as the engine's tar archive of it, as the job's Results set (replacing
/// what was there). Only regular files are kept: links, devices, fifos and hard links are left out by name, so
/// nothing outside the directory is ever read (the engine resolves the path inside the container and never follows
/// a link). Names are relative to the directory and must pass <see cref="JobFilePath"/>.
/// </summary>
public sealed class ResultCollector(IJobFileStore store)
{
    /// <summary>
    /// Replaces the job's Results with the archive's regular files. <paramref name="budget"/> is the most bytes stored
    /// in all: a file that would pass it is left out, and smaller ones after it are still kept.
    /// </summary>
    public async Task<CollectedResults> CollectAsync(string jobId, Stream archive, long budget, CancellationToken cancellationToken)
    {
        await store.DeleteAsync(jobId, JobFileSet.Results, cancellationToken);
        var files = 0;
        long bytes = 0;
        var skipped = new List<string>();
        await using var reader = new TarReader(archive, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            var path = RelativePath(entry.Name);
            if (path is null || entry.EntryType == TarEntryType.Directory)
            {
                continue;
            }

            if (!IsRegularFile(entry.EntryType))
            {
                skipped.Add($"{path} (not a regular file)");
                continue;
            }

            if (JobFilePath.Problem(path) is { } problem)
            {
                skipped.Add($"{path} ({problem})");
                continue;
            }

            try
            {
                bytes += await store.SaveAsync(jobId, JobFileSet.Results, path, entry.DataStream ?? Stream.Null, budget - bytes, cancellationToken);
                files++;
            }
            catch (FileTooLargeException)
            {
                skipped.Add($"{path} (over the {budget} bytes results may hold)");
            }
        }

        return new CollectedResults(files, bytes, skipped);
    }

    /// <summary>
    /// The path of an archive entry relative to the archived directory: the engine names entries after the
    /// directory ("work/a/b.txt"), so the first segment goes. Null for the directory itself.
    /// </summary>
    public static string? RelativePath(string entryName)
    {
        var name = entryName.StartsWith("./", StringComparison.Ordinal) ? entryName[2..] : entryName;
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return null;
        }

        var relative = name[(slash + 1)..].TrimEnd('/');
        return relative.Length == 0 ? null : relative;
    }

    public static bool IsRegularFile(TarEntryType type) =>
        type is TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile;
}
