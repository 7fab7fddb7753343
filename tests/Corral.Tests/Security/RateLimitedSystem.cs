using Corral.Tests.EndToEnd;

namespace Corral.Tests.Security;

/// <summary>The running system with a tight API rate limit: 1 request a second per user, bursts of 3.</summary>
public sealed class RateLimitedSystem : CorralSystem
{
    public RateLimitedSystem()
    {
        SetSystemVariable("CORRAL_API_RATE_PER_SECOND", "1");
        SetSystemVariable("CORRAL_API_RATE_BURST", "3");
    }
}
