namespace Corral.Jobs;

/// <summary>
/// The spec's "retry": with <paramref name="OnWorkerLost"/>, a job whose worker is lost runs again (same id, back to
/// pending) until it has made <paramref name="MaxAttempts"/> attempts in all; the last one lost fails worker_lost.
/// </summary>
[GenerateSerializer, Immutable, Alias("corral.retry-policy")]
public sealed record RetryPolicy(
    [property: Id(0)] bool OnWorkerLost,
    [property: Id(1)] int MaxAttempts)
{
    /// <summary>The most attempts a spec may ask for.</summary>
    public const int MaxAttemptsLimit = 10;

    /// <summary>Whether a job on attempt <paramref name="attempt"/> (1-based) whose worker was lost runs again.</summary>
    public bool RetriesWorkerLost(int attempt) => OnWorkerLost && attempt < MaxAttempts;
}
