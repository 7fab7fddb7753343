namespace Corral.Files;

/// <summary>A job's input and result files, readable from every host. Paths follow <see cref="JobFilePath"/>.</summary>
public interface IJobFileStore
{
    /// <summary>
    /// Stores <paramref name="content"/> as <paramref name="path"/> (replacing a file of that path), reading it in
    /// chunks so memory does not grow with its size. Throws <see cref="FileTooLargeException"/>, keeping nothing of
    /// it, once it passes <paramref name="maxBytes"/>. Returns its length.
    /// </summary>
    Task<long> SaveAsync(string jobId, JobFileSet set, string path, Stream content, long maxBytes, CancellationToken cancellationToken);

    /// <summary>The set's files in path order (empty when there are none).</summary>
    Task<IReadOnlyList<StoredFile>> ListAsync(string jobId, JobFileSet set, CancellationToken cancellationToken);

    /// <summary>Writes one file's bytes to <paramref name="destination"/> chunk by chunk; false when there is no such file.</summary>
    Task<bool> CopyToAsync(string jobId, JobFileSet set, string path, Stream destination, CancellationToken cancellationToken);

    /// <summary>Removes a set's files; returns how many there were.</summary>
    Task<int> DeleteAsync(string jobId, JobFileSet set, CancellationToken cancellationToken);
}
