namespace Corral.Files;

/// <summary>
/// The rule for a path inside a job's working directory, applied to every name a user sends (upload parts) and
/// every name a ZIP gets: relative, '/'-separated, no '.' or '..' segment, no empty segment, no NUL or control
/// character, at most <see cref="MaxLength"/> characters. A name that passes cannot leave the directory.
/// </summary>
public static class JobFilePath
{
    public const int MaxLength = 1024;

    public const int MaxSegmentLength = 255;

    /// <summary>Null when <paramref name="path"/> is acceptable, otherwise why not, in words for an error.</summary>
    public static string? Problem(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "is empty";
        }

        if (path.Length > MaxLength)
        {
            return $"is {path.Length} characters; the limit is {MaxLength}";
        }

        if (path.StartsWith('/') || path.Contains('\\', StringComparison.Ordinal) || (path.Length > 1 && path[1] == ':'))
        {
            return "must be a relative path with '/' separators";
        }

        if (path.Any(char.IsControl))
        {
            return "must not contain control characters";
        }

        foreach (var segment in path.Split('/'))
        {
            if (segment is "" or "." or "..")
            {
                return $"must not contain an empty, '.' or '..' segment";
            }

            if (segment.Length > MaxSegmentLength)
            {
                return $"has a segment longer than {MaxSegmentLength} characters";
            }
        }

        return null;
    }

    public static bool IsValid(string? path) => Problem(path) is null;
}
