using System.Diagnostics.Metrics;
using Corral.Telemetry;

namespace Corral.Storage;

/// <summary>How the group commit shares PostgreSQL's log flushes: statements per commit and each commit's duration.</summary>
internal static class GroupCommitMetrics
{
    private static readonly Meter Meter = new(CorralMeters.Prefix + "Storage");

    public static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>(
        "corral.storage.commit.statements", "{statement}", "Grain-state statements committed in one transaction",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });

    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "corral.storage.commit.duration", "s", "Time from sending a group commit to PostgreSQL until it is durable",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
}
