using System.Collections;
using System.Collections.Frozen;
using System.Text.RegularExpressions;
using Corral.Configuration;

namespace Corral.Gateway.Orchestrator;

/// <summary>
/// The services the operator declared with SERVICE_&lt;NAME&gt;_RUNS_PER_USER (seed 003). When there is at least one,
/// POST /upload refuses any other service with job-orchestrator's "Invalid service"; with none, any service name goes.
/// '_' in a variable stands for '-' or '_' in the service name, as the quota reads it.
/// </summary>
public sealed partial class DeclaredServices(FrozenSet<string> variableNames)
{
    public bool Any => variableNames.Count > 0;

    public bool Allows(string service) => !Any || variableNames.Contains(service.ToUpperInvariant().Replace('-', '_'));

    public static DeclaredServices Read(SettingsReader settings)
    {
        var names = new List<string>();
        foreach (DictionaryEntry entry in settings.Environment)
        {
            if (Pattern().Match((string)entry.Key) is { Success: true } match)
            {
                names.Add(match.Groups["name"].Value.ToUpperInvariant());
            }
        }

        return new DeclaredServices(names.ToFrozenSet(StringComparer.Ordinal));
    }

    [GeneratedRegex("^SERVICE_(?<name>[A-Za-z0-9_]+)_RUNS_PER_USER$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
