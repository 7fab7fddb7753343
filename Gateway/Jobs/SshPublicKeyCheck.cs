using System.Buffers.Binary;
using System.Text;

namespace Corral.Gateway.Jobs;

/// <summary>
/// Sanity checks for a job's sshPublicKey: exactly one OpenSSH public key line ("type base64 [comment]"), of a type
/// the session's server accepts, whose data names that same type (RFC 4253, section 6.6). No authorized_keys options:
/// the line must start with the type, so a submission can never add a forced command or other options.
/// </summary>
public static class SshPublicKeyCheck
{
    public const int MaxLength = 16 * 1024;

    public static readonly string[] Types =
    [
        "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
    ];

    /// <summary>The key as it will be installed (trimmed), or why it is refused.</summary>
    public static (string? Key, string? Problem) Check(string raw)
    {
        if (raw.Length > MaxLength)
        {
            return (null, $"is longer than {MaxLength} characters");
        }

        var line = raw.Trim();
        if (line.Any(char.IsControl))
        {
            return (null, "must be a single public key on one line, with no control characters");
        }

        var parts = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || !Types.Contains(parts[0], StringComparer.Ordinal))
        {
            return (null, $"must be an OpenSSH public key line such as the content of ~/.ssh/id_ed25519.pub: a type ({string.Join(", ", Types)}), then the base64 key, then an optional comment");
        }

        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(parts[1]);
        }
        catch (FormatException)
        {
            return (null, "has key data that is not valid base64");
        }

        var type = parts[0];
        if (blob.Length < 4 + type.Length
            || BinaryPrimitives.ReadInt32BigEndian(blob) != type.Length
            || Encoding.ASCII.GetString(blob, 4, type.Length) != type)
        {
            return (null, $"has key data that is not a {type} key");
        }

        return (line, null);
    }
}
