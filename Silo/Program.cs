using Corral.Configuration;
using Corral.Hosting;
using Corral.Hosting.Operations;
using Corral.Quotas;
using Corral.Silo;
using Corral.Workers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// The core silo: hosts the job, quota, user, worker and dispatcher grains.
try
{
    var settings = SettingsReader.FromProcess();
    var cluster = ClusterSettings.Read(settings);
    var endpoints = SiloEndpointSettings.Read(settings, defaultSiloPort: 11111, defaultGatewayPort: 30000);
    var quotas = QuotaOptions.FromEnvironment(settings.Environment);
    var liveness = WorkerLiveness.Read(settings);
    var noCapacity = Corral.Jobs.NoCapacityPolicy.Read(settings);

    var builder = CorralServer.CreateBuilder(args, settings, "corral-silo");
    builder.Services.AddHealthChecks().AddCheck<SiloJoinedHealthCheck>("cluster", tags: [OperationsEndpoints.ReadyTag]);
    builder.Services.AddHostedService<WorkerCapacityGauge>();
    builder.UseOrleans(silo => silo
        .UseCorralCluster(cluster, endpoints)
        .AddCorralCore(cluster.PostgresConnectionString, quotas, liveness, noCapacity));
    await builder.BuildWithOperations().RunAsync();
    return 0;
}
catch (Exception error) when (error is InvalidSettingException or InvalidOperationException)
{
    Console.Error.WriteLine($"corral-silo: {error.Message}");
    return 2;
}
