using Corral.Configuration;

namespace Corral.Gateway.Api;

/// <summary>
/// How many API requests one caller may make: a token bucket per user (per address before sign-in) refilled at
/// CORRAL_API_RATE_PER_SECOND (default 100; 0 turns the limit off) and holding up to CORRAL_API_RATE_BURST
/// (default 500). Admins are not limited. Counted per gateway process.
/// </summary>
public sealed record ApiRateLimitSettings(int PerSecond, int Burst)
{
    public const int DefaultPerSecond = 100;

    public const int DefaultBurst = 500;

    public bool IsOff => PerSecond == 0;

    public static ApiRateLimitSettings Read(SettingsReader settings)
    {
        var perSecond = settings.GetInt("CORRAL_API_RATE_PER_SECOND", DefaultPerSecond, 0);
        var burst = settings.GetInt("CORRAL_API_RATE_BURST", Math.Max(DefaultBurst, perSecond), 1);
        return perSecond > 0 && burst < perSecond
            ? throw new InvalidSettingException("CORRAL_API_RATE_BURST", burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"it must be at least CORRAL_API_RATE_PER_SECOND ({perSecond})")
            : new ApiRateLimitSettings(perSecond, burst);
    }
}
