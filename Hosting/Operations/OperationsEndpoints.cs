using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Corral.Hosting.Operations;

/// <summary>
/// The endpoints an operator, a load balancer, systemd or Prometheus asks every Corral process:
/// <c>/healthz/live</c> (the process answers HTTP: restart it when this fails), <c>/healthz/ready</c> (it can do its
/// work: every check tagged <see cref="ReadyTag"/> passes; send it traffic only then) and <c>/metrics</c>
/// (OpenTelemetry's Prometheus text).
/// </summary>
public static class OperationsEndpoints
{
    public const string ReadyTag = "ready";

    /// <summary>The checks every process has (PostgreSQL); a process adds its own with the same tag.</summary>
    public static IHealthChecksBuilder AddCorralHealthChecks(this IServiceCollection services) =>
        services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: [ReadyTag]);

    /// <summary>Maps the three routes; returns the metrics route, which a process on a public port puts behind a login.</summary>
    public static IEndpointConventionBuilder MapCorralOperations(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks("/healthz/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync });
        return app.MapPrometheusScrapingEndpoint("/metrics");
    }

    /// <summary>
    /// The status and each check's status, never a check's description: these routes answer anyone who reaches the
    /// port, and a database error can name hosts and users. Descriptions go to the process's log.
    /// </summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new Dictionary<string, object>
        {
            ["status"] = report.Status.ToString(),
            ["checks"] = report.Entries.ToDictionary(e => e.Key, e => e.Value.Status.ToString()),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, cancellationToken: context.RequestAborted);
    }
}
