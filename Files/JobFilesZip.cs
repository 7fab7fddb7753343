using System.IO.Compression;

namespace Corral.Files;

/// <summary>
/// Writes a job's file set as a ZIP straight onto a stream (a response body), one stored chunk at a time, so memory
/// does not grow with the files. Entry names are the stored paths, which passed <see cref="JobFilePath"/>: none can
/// leave the folder it is extracted into.
/// </summary>
public static class JobFilesZip
{
    public static async Task WriteAsync(IJobFileStore store, string jobId, JobFileSet set, Stream destination, CancellationToken cancellationToken)
    {
        var files = await store.ListAsync(jobId, set, cancellationToken);
        var output = new SyncWritesDeferredStream(destination);
        var archive = await ZipArchive.CreateAsync(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, cancellationToken);
        foreach (var file in files)
        {
            if (!JobFilePath.IsValid(file.Path))
            {
                continue;
            }

            var entry = archive.CreateEntry(file.Path, CompressionLevel.Fastest);
            await using (var content = await entry.OpenAsync(cancellationToken))
            {
                await store.CopyToAsync(jobId, set, file.Path, content, cancellationToken);
            }
        }

        await archive.DisposeAsync();
        await output.FlushPendingAsync(cancellationToken);
    }
}
