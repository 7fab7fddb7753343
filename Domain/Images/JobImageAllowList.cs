using System.Collections.Frozen;
using Corral.Configuration;
using Corral.Resources;

namespace Corral.Images;

/// <summary>
/// JOB_IMAGES: the images jobs may name, as comma-separated references; by default the platform's own
/// (<see cref="ImageReference.DefaultBatch"/>, <see cref="ImageReference.DefaultSsh"/>). Names compare as placement
/// compares them (<see cref="PlacementCheck.Tagged"/>: no tag means ":latest"), so "corral/busybox" and
/// "corral/busybox:latest" are one entry. Without it, any image a worker happened to hold could be run. The gateway
/// checks it at submission; every host agent checks its own at launch, so a worker never runs an image its operator
/// did not list, whatever the cluster sends.
/// </summary>
public sealed class JobImageAllowList
{
    public const string Variable = "JOB_IMAGES";

    public const string Default = ImageReference.DefaultBatch + "," + ImageReference.DefaultSsh;

    private readonly FrozenSet<string> _images;

    private JobImageAllowList(IEnumerable<string> images) => _images = images.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The allowed references, tagged and sorted.</summary>
    public IReadOnlyList<string> Images => [.. _images.Order(StringComparer.Ordinal)];

    /// <summary>Reads JOB_IMAGES; a bad value stops the process (gateway or host agent) naming the variable.</summary>
    public static JobImageAllowList Read(SettingsReader settings) => Parse(settings.GetString(Variable, Default));

    /// <exception cref="InvalidSettingException">An entry is not an image reference, or there is none.</exception>
    public static JobImageAllowList Parse(string raw)
    {
        var images = new List<string>();
        foreach (var entry in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!ImageReference.IsValid(entry))
            {
                throw new InvalidSettingException(Variable, raw, $"'{entry}' is not an image reference such as {ImageReference.DefaultBatch}");
            }

            images.Add(PlacementCheck.Tagged(entry));
        }

        return images.Count > 0
            ? new JobImageAllowList(images)
            : throw new InvalidSettingException(Variable, raw, $"it must name at least one image, such as {ImageReference.DefaultBatch}");
    }

    /// <summary>Whether jobs may name <paramref name="image"/> (a reference the spec validator accepted).</summary>
    public bool Allows(string image) => _images.Contains(PlacementCheck.Tagged(image));
}
