namespace Corral.Users;

[GenerateSerializer, Alias("corral.user-state")]
public sealed class UserState
{
    /// <summary>Job ids, oldest first.</summary>
    [Id(0)] public List<string> Jobs { get; set; } = [];

    [Id(1)] public HashSet<string> Services { get; set; } = [];
}
