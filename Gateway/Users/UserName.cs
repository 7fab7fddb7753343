using System.Text.RegularExpressions;

namespace Corral.Gateway.Users;

/// <summary>
/// The rule for user names: 1 to 32 characters, lower-case ASCII letters, digits, '-' and '_', starting with a
/// letter or a digit (job-orchestrator's portals name their users by number). Names appear in logs, grain keys and container labels, so they are kept plain and unambiguous.
/// </summary>
public static partial class UserName
{
    public const string Rule = "1-32 characters: lower-case letters a-z, digits, '-' or '_', starting with a letter or a digit";

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
