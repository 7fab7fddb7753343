using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>The running system with a short no-capacity grace (NO_CAPACITY_GRACE_SECONDS=5).</summary>
public sealed class NoCapacitySystem : CorralSystem
{
    public const int GraceSeconds = 5;

    public NoCapacitySystem() => SetSystemVariable("NO_CAPACITY_GRACE_SECONDS", GraceSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

[CollectionDefinition(Name)]
public sealed class NoCapacityCollection : ICollectionFixture<NoCapacitySystem>
{
    public const string Name = "running system with a short no-capacity grace";
}
