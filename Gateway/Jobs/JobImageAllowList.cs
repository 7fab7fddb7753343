using System.Collections.Frozen;
using Corral.Configuration;
using Corral.Gateway.Api.Requests;
using Corral.Resources;

namespace Corral.Gateway.Jobs;

/// <summary>
/// JOB_IMAGES: the images jobs may name, as comma-separated references; by default the platform's own
/// (<see cref="JobSpecRules.DefaultImage"/>, <see cref="JobSpecRules.DefaultSshImage"/>). Names compare as placement
/// compares them (<see cref="PlacementCheck.Tagged"/>: no tag means ":latest"), so "corral/busybox" and
/// "corral/busybox:latest" are one entry. Without it, any image a worker happened to hold could be run.
/// </summary>
public sealed class JobImageAllowList
{
    public const string Variable = "JOB_IMAGES";

    public const string Default = JobSpecRules.DefaultImage + "," + JobSpecRules.DefaultSshImage;

    private readonly FrozenSet<string> _images;

    private JobImageAllowList(IEnumerable<string> images) => _images = images.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The allowed references, tagged and sorted.</summary>
    public IReadOnlyList<string> Images => [.. _images.Order(StringComparer.Ordinal)];

    /// <summary>Reads JOB_IMAGES; a bad value stops the gateway naming the variable.</summary>
    public static JobImageAllowList Read(SettingsReader settings) => Parse(settings.GetString(Variable, Default));

    /// <exception cref="InvalidSettingException">An entry is not an image reference, or there is none.</exception>
    public static JobImageAllowList Parse(string raw)
    {
        var images = new List<string>();
        foreach (var entry in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!JobSpecValidator.IsImageReference(entry))
            {
                throw new InvalidSettingException(Variable, raw, $"'{entry}' is not an image reference such as {JobSpecRules.DefaultImage}");
            }

            images.Add(PlacementCheck.Tagged(entry));
        }

        return images.Count > 0
            ? new JobImageAllowList(images)
            : throw new InvalidSettingException(Variable, raw, $"it must name at least one image, such as {JobSpecRules.DefaultImage}");
    }

    /// <summary>Whether jobs may name <paramref name="image"/> (a reference the spec validator accepted).</summary>
    public bool Allows(string image) => _images.Contains(PlacementCheck.Tagged(image));
}
