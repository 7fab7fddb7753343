namespace Corral.Users;

/// <summary>
/// A submission refused because the user is at one of their limits (USER_MAX_QUEUED_JOBS, USER_MAX_SERVICES).
/// Nothing of the job was stored. <see cref="Field"/> is the request field the gateway names in its problem answer,
/// <see cref="Setting"/> the variable an operator raises.
/// </summary>
[GenerateSerializer, Alias("corral.user-limit-exceeded")]
public sealed class UserLimitExceededException : Exception
{
    public UserLimitExceededException()
    {
    }

    public UserLimitExceededException(string field, string setting, int limit, string message)
        : base(message)
    {
        Field = field;
        Setting = setting;
        Limit = limit;
    }

    [Id(0)] public string Field { get; private set; } = string.Empty;

    [Id(1)] public string Setting { get; private set; } = string.Empty;

    [Id(2)] public int Limit { get; private set; }
}
