using Corral.Configuration;
using Corral.Quotas;
using Corral.Silo;
using Corral.Workers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// The core silo: hosts the job, quota, user, worker and dispatcher grains.
try
{
    var settings = SettingsReader.FromProcess();
    var cluster = ClusterSettings.Read(settings);
    var endpoints = SiloEndpointSettings.Read(settings, defaultSiloPort: 11111, defaultGatewayPort: 30000);
    var quotas = QuotaOptions.FromEnvironment(settings.Environment);
    var liveness = WorkerLiveness.Read(settings);

    var builder = Host.CreateApplicationBuilder(args);
    builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.UseUtcTimestamp = true; o.TimestampFormat = "HH:mm:ss.fff "; });
    builder.Logging.AddFilter("Orleans", LogLevel.Warning);
    builder.Logging.AddFilter("Polly", LogLevel.Warning);
    builder.UseOrleans(silo => silo
        .AddCorralCore(cluster, quotas, liveness)
        .ConfigureEndpoints(endpoints.Address, endpoints.SiloPort, endpoints.GatewayPort, listenOnAnyHostAddress: false));
    await builder.Build().RunAsync();
    return 0;
}
catch (Exception error) when (error is InvalidSettingException or InvalidOperationException)
{
    Console.Error.WriteLine($"corral-silo: {error.Message}");
    return 2;
}
