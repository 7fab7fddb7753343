using Corral.Configuration;

namespace Corral.Gateway.Auth;

/// <summary>
/// CORRAL_TOKEN_CACHE_SECONDS (default 5, 0 to 60): how long a gateway trusts a token it has looked up before it
/// asks PostgreSQL again. It is the longest a token revoked on another gateway keeps working here; 0 looks every
/// request up.
/// </summary>
public sealed record TokenCacheSettings(TimeSpan Lifetime)
{
    public const string Variable = "CORRAL_TOKEN_CACHE_SECONDS";
    public const int DefaultSeconds = 5;
    public const int MaxSeconds = 60;

    public static TokenCacheSettings Read(SettingsReader settings)
    {
        var seconds = settings.GetInt(Variable, DefaultSeconds, 0);
        if (seconds > MaxSeconds)
        {
            throw new InvalidSettingException(Variable, seconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"it must be 0 to {MaxSeconds}: a revoked token keeps working on other gateways for up to this long");
        }

        return new TokenCacheSettings(TimeSpan.FromSeconds(seconds));
    }
}
