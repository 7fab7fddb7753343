namespace Corral.Users;

[GenerateSerializer, Alias("corral.user-state")]
public sealed class UserState
{
    [Id(1)] public HashSet<string> Services { get; set; } = [];
}
