using Corral.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Corral.Hosting;

/// <summary>
/// What every Corral process sets up the same way: one-line UTC console logs with secrets redacted, and OpenTelemetry.
/// </summary>
public static class CorralHostDefaults
{
    /// <summary>The meters and activity sources Corral's processes record: Orleans, Npgsql, ASP.NET Core and SignalR.</summary>
    private static readonly string[] Meters =
    [
        "Microsoft.Orleans", "Npgsql", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Http.Connections", "Microsoft.AspNetCore.SignalR", "System.Runtime",
    ];

    private static readonly string[] ActivitySources = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", "Npgsql", "Microsoft.AspNetCore"];

    /// <summary>
    /// Whether traces go anywhere (an OTLP collector is configured). Only then do grain calls carry trace context:
    /// the propagation filter is a step in every call.
    /// </summary>
    public static bool ExportsTraces(IConfiguration configuration) =>
        !string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    /// <summary>
    /// Logging and OpenTelemetry for the process named <paramref name="serviceName"/> (its
    /// OpenTelemetry service name). Telemetry is recorded and exported over OTLP only where
    /// OTEL_EXPORTER_OTLP_ENDPOINT is set.
    /// </summary>
    public static TBuilder AddCorralDefaults<TBuilder>(this TBuilder builder, string serviceName)
        where TBuilder : IHostApplicationBuilder
    {
        // Request lines carry the hub's access_token in their query: every console line goes through a formatter
        // that redacts it, whatever the category or level (an operator's Logging__Console__FormatterName is ignored).
        builder.Logging.AddConsole()
            .AddConsoleFormatter<RedactingConsoleFormatter, ConsoleFormatterOptions>();
        builder.Services.PostConfigure<ConsoleLoggerOptions>(o => o.FormatterName = RedactingConsoleFormatter.FormatterName);
        // Orleans and its retry library log every routine step at Information; their warnings are what operators need.
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);

        // Metrics are always recorded: /metrics serves them (Operations/). Traces only where an OTLP collector takes
        // them: listening would otherwise build an activity for every grain call and database command for nobody.
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithMetrics(m => m.AddMeter(Meters).AddMeter(CorralMeters.Prefix + "*").AddPrometheusExporter());
        if (ExportsTraces(builder.Configuration))
        {
            telemetry.WithTracing(t => t.AddSource(ActivitySources).AddSource(CorralMeters.Prefix + "*")).UseOtlpExporter();
        }

        return builder;
    }
}
