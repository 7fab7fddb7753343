namespace Corral.Jobs;

/// <summary>
/// The one shape of a job id: 32 lowercase hex digits. The gateway makes ids as a version 7 GUID in "N" format or
/// as the first 32 hex digits of a SHA-256 of the user and Idempotency-Key; the host agent puts ids into file
/// paths, container names and iptables chain names, so it refuses anything else.
/// </summary>
public static class JobIds
{
    public const int Length = 32;

    public static bool IsValid(string? id)
    {
        if (id is null || id.Length != Length)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A short, printable description of a refused id for messages and logs (the id itself may be hostile).</summary>
    public static string Describe(string? id) => id is null
        ? "null"
        : $"'{new string(id.Take(64).Select(c => char.IsControl(c) ? '?' : c).ToArray())}'{(id.Length > 64 ? "..." : string.Empty)} ({id.Length} characters)";
}
