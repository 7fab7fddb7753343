namespace Corral.Files;

/// <summary>A file passed the byte budget it was given while being stored; nothing of it was kept.</summary>
public sealed class FileTooLargeException(string path, long limit)
    : Exception($"'{path}' is larger than the {limit} bytes left for it")
{
    public string Path { get; } = path;

    public long Limit { get; } = limit;
}
