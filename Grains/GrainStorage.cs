namespace Corral;

/// <summary>The grain storage providers the core grains persist to (PostgreSQL in production).</summary>
public static class GrainStorage
{
    /// <summary>
    /// The grains written on every step of every job (jobs, quotas, users, workers): many small writes, which
    /// production group-commits (several grains' writes in one transaction).
    /// </summary>
    public const string Name = "corral";

    /// <summary>
    /// The dispatcher's pending set: one grain, written once per placement pass, and large (every pending job).
    /// Kept on Orleans' ADO.NET provider with a commit of its own, so it never holds up the small writes that
    /// share a group commit.
    /// </summary>
    public const string Dispatcher = "corral-dispatcher";
}
