using Corral.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Corral.Hosting.Operations;

/// <summary>
/// The host of a silo or host agent: a web application whose only HTTP routes are the operations endpoints, on
/// <see cref="OperationsSettings.Url"/>; the cluster traffic stays on Orleans' own ports.
/// </summary>
public static class CorralServer
{
    public static WebApplicationBuilder CreateBuilder(string[] args, SettingsReader settings, string serviceName)
    {
        var operations = OperationsSettings.Read(settings);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.AddCorralDefaults(serviceName);
        builder.WebHost.UseUrls(operations.Url);
        builder.Services.AddCorralHealthChecks();
        return builder;
    }

    /// <summary>Builds the application with the operations endpoints mapped, and logs where they are once listening.</summary>
    public static WebApplication BuildWithOperations(this WebApplicationBuilder builder)
    {
        var app = builder.Build();
        app.MapCorralOperations();
        app.Lifetime.ApplicationStarted.Register(() =>
            app.Logger.LogInformation("Operations endpoints (/healthz/live, /healthz/ready, /metrics) at {Urls}", string.Join(", ", app.Urls)));
        return app;
    }
}
