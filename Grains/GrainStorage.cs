namespace Corral;

/// <summary>The name of the grain storage provider every core grain persists to (PostgreSQL in production).</summary>
public static class GrainStorage
{
    public const string Name = "corral";
}
