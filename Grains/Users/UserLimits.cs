using System.Collections;
using Corral.Configuration;

namespace Corral.Users;

/// <summary>
/// Per-user bounds on work a user can pile up, far above what normal use reaches: jobs waiting in the queued status
/// across all services (USER_MAX_QUEUED_JOBS) and distinct services ever used (USER_MAX_SERVICES; each gets its own
/// quota slots and state).
/// </summary>
public sealed record UserLimits(int MaxQueuedJobs, int MaxServices)
{
    public const string MaxQueuedJobsVariable = "USER_MAX_QUEUED_JOBS";

    public const string MaxServicesVariable = "USER_MAX_SERVICES";

    public const int DefaultMaxQueuedJobs = 10_000;

    public const int DefaultMaxServices = 50;

    public static UserLimits Default { get; } = new(DefaultMaxQueuedJobs, DefaultMaxServices);

    /// <summary>Reads both settings; a value that is not a whole number of at least 1 stops the process, naming it.</summary>
    public static UserLimits Read(IDictionary environment)
    {
        var settings = new SettingsReader(environment);
        return new UserLimits(
            settings.GetInt(MaxQueuedJobsVariable, DefaultMaxQueuedJobs, 1),
            settings.GetInt(MaxServicesVariable, DefaultMaxServices, 1));
    }
}
