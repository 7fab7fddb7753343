using System.Text.RegularExpressions;

namespace Corral.Images;

/// <summary>
/// The image references a job may name, and the platform's own images. One rule for the gateway's spec validator,
/// JOB_IMAGES entries on the gateway and on every host agent.
/// </summary>
public static partial class ImageReference
{
    /// <summary>The image of a batch job that names none.</summary>
    public const string DefaultBatch = "corral/busybox:latest";

    /// <summary>The image of an SSH session that names none.</summary>
    public const string DefaultSsh = "corral/ssh:latest";

    /// <summary>Whether <paramref name="image"/> is a reference a job may name: lowercase name, optional tag and digest.</summary>
    public static bool IsValid(string image) => Pattern().IsMatch(image);

    [GeneratedRegex("^[a-z0-9][a-z0-9._/-]{0,254}(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(@sha256:[a-f0-9]{64})?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
