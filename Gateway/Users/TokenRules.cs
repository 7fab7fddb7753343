using System.Text.RegularExpressions;

namespace Corral.Gateway.Users;

/// <summary>
/// What a new token may ask for: a name people can read back in a list, and an expiry that is in the future and
/// within ten years (so a typo cannot make a token live forever by overflowing, and a number stays a number).
/// </summary>
public static partial class TokenRules
{
    public const int MaxNameLength = 64;

    /// <summary>Tokens one user may hold at once; it keeps the list short enough to show whole, without pages.</summary>
    public const int MaxPerUser = 100;

    public const long MaxLifetimeSeconds = 10L * 366 * 24 * 3600;

    public const string NameRule = "1-64 characters, not starting with a space: letters, digits, spaces, '.', '-', '_', ':' or '@'";

    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>A token id as the gateway makes them (16 hex digits); anything else cannot name a token.</summary>
    public static bool IsValidId(string? id) => id is not null && IdPattern().IsMatch(id);

    /// <summary>
    /// The expiry a request asks for (none, a lifetime in seconds, or a moment), or the field that is wrong and
    /// why. <paramref name="now"/> is the gateway's clock, the same clock that checks expiry on each request.
    /// </summary>
    public static (DateTimeOffset? ExpiresAt, string? Field, string? Error) Expiry(long? expiresInSeconds, DateTimeOffset? expiresAt, DateTimeOffset now)
    {
        if (expiresInSeconds is not null && expiresAt is not null)
        {
            return (null, "expiresAt", "give expiresInSeconds or expiresAt, not both");
        }

        if (expiresInSeconds is { } seconds)
        {
            return seconds is < 1 or > MaxLifetimeSeconds
                ? (null, "expiresInSeconds", $"must be 1 to {MaxLifetimeSeconds} (ten years)")
                : (now.AddSeconds(seconds), null, null);
        }

        if (expiresAt is { } at)
        {
            if (at <= now)
            {
                return (null, "expiresAt", $"is in the past (now is {now:O})");
            }

            return at > now.AddSeconds(MaxLifetimeSeconds)
                ? (null, "expiresAt", "must be within ten years")
                : (at.ToUniversalTime(), null, null);
        }

        return (null, null, null);
    }

    [GeneratedRegex(@"^[\p{L}\p{N}._:@-][\p{L}\p{N} ._:@-]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[0-9a-f]{16}\z", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
