namespace Corral.Files;

/// <summary>One stored file: its path relative to the job's working directory, and its length in bytes.</summary>
public sealed record StoredFile(string Path, long Size);
