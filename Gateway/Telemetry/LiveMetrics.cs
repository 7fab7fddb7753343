using System.Diagnostics.Metrics;
using Corral.Telemetry;

namespace Corral.Gateway.Telemetry;

/// <summary>
/// How long this gateway takes to hand one job or quota event to every SignalR connection that should see it (the
/// group send). Connection counts come from ASP.NET Core's own meter (<c>signalr_server_active_connections</c>).
/// </summary>
public static class LiveMetrics
{
    private static readonly Meter Meter = new(CorralMeters.Prefix + "Live");

    public static readonly Histogram<double> FanOut = Meter.CreateHistogram<double>(
        "corral.live.fanout", "s", "Time to send one live event to its SignalR groups",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] });
}
