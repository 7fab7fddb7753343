using Corral.Tests.EndToEnd;

namespace Corral.Tests.Security;

/// <summary>
/// The running system with small per-user limits: 2 waiting jobs, 3 services, and one slot per user for service
/// "slow", so a long job there keeps the user's next ones queued.
/// </summary>
public sealed class UserLimitedSystem : CorralSystem
{
    public const int MaxQueued = 2;

    public const int MaxServices = 3;

    public UserLimitedSystem()
    {
        SetSystemVariable("USER_MAX_QUEUED_JOBS", MaxQueued.ToString(System.Globalization.CultureInfo.InvariantCulture));
        SetSystemVariable("USER_MAX_SERVICES", MaxServices.ToString(System.Globalization.CultureInfo.InvariantCulture));
        SetSystemVariable("SERVICE_SLOW_RUNS_PER_USER", "1");
    }
}
