using Corral.Configuration;
using Corral.Hosting;
using Corral.Quotas;
using Corral.Silo;
using Corral.Workers;
using Microsoft.Extensions.Hosting;

// The core silo: hosts the job, quota, user, worker and dispatcher grains.
try
{
    var settings = SettingsReader.FromProcess();
    var cluster = ClusterSettings.Read(settings);
    var endpoints = SiloEndpointSettings.Read(settings, defaultSiloPort: 11111, defaultGatewayPort: 30000);
    var quotas = QuotaOptions.FromEnvironment(settings.Environment);
    var liveness = WorkerLiveness.Read(settings);

    var builder = Host.CreateApplicationBuilder(args).AddCorralDefaults("corral-silo");
    builder.UseOrleans(silo => silo
        .UseCorralCluster(cluster, endpoints)
        .AddCorralCore(cluster.PostgresConnectionString, quotas, liveness));
    await builder.Build().RunAsync();
    return 0;
}
catch (Exception error) when (error is InvalidSettingException or InvalidOperationException)
{
    Console.Error.WriteLine($"corral-silo: {error.Message}");
    return 2;
}
