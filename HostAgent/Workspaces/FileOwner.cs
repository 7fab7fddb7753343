using System.Runtime.InteropServices;

namespace Corral.HostAgent.Workspaces;

/// <summary>
/// Gives a path to the job's user. .NET has no chown; lchown changes the entry itself, so a link is never followed
/// (the agent only ever owns-over entries it made, but the rule costs nothing).
/// </summary>
internal static partial class FileOwner
{
    /// <exception cref="IOException">The kernel refused (the agent does not run as root, say).</exception>
    public static void Give(string path, uint uid, uint gid)
    {
        if (LChown(path, uid, gid) != 0)
        {
            throw new IOException($"cannot give {path} to uid {uid}: errno {Marshal.GetLastPInvokeError()} (the host agent must run as root)");
        }
    }

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LChown(string path, uint owner, uint group);
}
