using System.Collections;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Corral.Quotas;

/// <summary>
/// Concurrent runs per user per service, from SERVICE_&lt;NAME&gt;_RUNS_PER_USER (seed 003). A service without
/// a variable gets <see cref="DefaultLimit"/>. Names match case-insensitively; '-' in a service name is '_'
/// in its variable, since variable names cannot hold '-'.
/// </summary>
public sealed partial class QuotaOptions
{
    public const int DefaultLimit = 5;

    public QuotaOptions(IReadOnlyDictionary<string, int> limits) => Limits = limits.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>Configured limits keyed by the variable's NAME part (upper-case, '_' for '-').</summary>
    public ImmutableDictionary<string, int> Limits { get; }

    public int LimitFor(string service) =>
        Limits.TryGetValue(VariableName(service), out var limit) ? limit : DefaultLimit;

    /// <summary>The services named by a variable, in lower case.</summary>
    public IEnumerable<string> ConfiguredServices => Limits.Keys.Select(k => k.ToLowerInvariant());

    public static string VariableName(string service) => service.ToUpperInvariant().Replace('-', '_');

    /// <summary>Reads every SERVICE_*_RUNS_PER_USER variable; a bad value stops the process with its name and value.</summary>
    public static QuotaOptions FromEnvironment(IDictionary environment)
    {
        var limits = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in environment)
        {
            var name = (string)entry.Key;
            var match = VariablePattern().Match(name);
            if (!match.Success)
            {
                continue;
            }

            var value = (string?)entry.Value ?? string.Empty;
            if (!int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit < 1)
            {
                throw new InvalidOperationException(
                    $"{name}='{value}' is not a valid run limit: it must be a whole number of at least 1.");
            }

            limits[match.Groups["name"].Value] = limit;
        }

        return new QuotaOptions(limits);
    }

    [GeneratedRegex("^SERVICE_(?<name>[A-Za-z0-9_]+)_RUNS_PER_USER$", RegexOptions.CultureInvariant)]
    private static partial Regex VariablePattern();
}
