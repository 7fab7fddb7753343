using System.Security.Cryptography;
using Corral.Configuration;

namespace Corral.HostAgent.Containers;

/// <summary>
/// The secret key job MAC addresses are derived with (<see cref="JobMacAddress"/>): 32 random bytes the agent makes
/// once and keeps in its worker folder (<c>JOB_OUTPUT_DIR/&lt;worker&gt;/mac.key</c>, mode 0600, in a folder that is
/// the root's alone). Kept, not made afresh at each start: a restarted agent adopts running containers, and their
/// egress chains match the MAC derived with this key.
/// </summary>
public static class JobMacKey
{
    public const int Length = 32;

    public const string FileName = "mac.key";

    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Reads the key in <paramref name="folder"/>, or makes it there when there is none.</summary>
    /// <exception cref="InvalidSettingException">The key cannot be read or made, or is not a key (names JOB_OUTPUT_DIR).</exception>
    public static byte[] LoadOrCreate(string folder)
    {
        var path = Path.Combine(folder, FileName);
        try
        {
            if (!File.Exists(path))
            {
                Create(path);
            }

            var key = File.ReadAllBytes(path);
            if (key.Length != Length)
            {
                throw new InvalidSettingException("JOB_OUTPUT_DIR", folder,
                    $"{path} is {key.Length} bytes, not a {Length}-byte MAC key; remove it only when no job container runs on this worker");
            }

            if (File.GetUnixFileMode(path) != FileMode)
            {
                File.SetUnixFileMode(path, FileMode);
            }

            return key;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new InvalidSettingException("JOB_OUTPUT_DIR", folder, $"cannot keep the MAC key {path}: {error.Message}");
        }
    }

    private static void Create(string path)
    {
        // Written under another name and moved into place, so a crash never leaves a short key behind; created 0600,
        // so it is never readable by others, not even for a moment.
        var partial = path + ".partial";
        File.Delete(partial);
        using (var stream = new FileStream(partial, new FileStreamOptions
        {
            Mode = System.IO.FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = FileMode,
        }))
        {
            stream.Write(RandomNumberGenerator.GetBytes(Length));
            stream.Flush(flushToDisk: true);
        }

        // No overwrite: an agent that made the key a moment earlier keeps its own.
        try
        {
            File.Move(partial, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(partial);
        }
    }
}
