namespace Corral.Telemetry;

/// <summary>
/// Corral's own meters are named <c>Corral.&lt;Area&gt;</c> and declared where they are recorded; every process
/// listens to all of them by this prefix, so a new one needs no registration. Instruments are named
/// <c>corral.&lt;area&gt;.&lt;what&gt;</c>, durations in seconds, sizes in bytes (Prometheus: <c>corral_..._seconds</c>).
/// </summary>
public static class CorralMeters
{
    public const string Prefix = "Corral.";
}
