using Corral.Configuration;
using Corral.Hosting;
using Corral.Jobs;
using Corral.Quotas;
using Corral.Reconciling;
using Corral.Silo.Storage;
using Corral.Users;
using Corral.Workers;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace Corral.Silo;

/// <summary>Wires the core grains into a silo: their state in PostgreSQL and the services they need.</summary>
public static class CoreSiloSetup
{
    /// <summary>The core grains on PostgreSQL: their storage and the services they need (clustering is <see cref="CorralCluster"/>'s).</summary>
    public static ISiloBuilder AddCorralCore(this ISiloBuilder silo, string connectionString, QuotaOptions quotas, WorkerLiveness liveness) =>
        silo.AddCorralStorage(connectionString).AddCorralServices(quotas, liveness);

    /// <summary>Grain state in PostgreSQL (reminders come with the cluster: <see cref="CorralCluster.UseCorralCluster(ISiloBuilder, ClusterSettings, SiloEndpointSettings)"/>).</summary>
    public static ISiloBuilder AddCorralStorage(this ISiloBuilder silo, string connectionString)
    {
        var orleansConnectionString = CorralCluster.OrleansConnectionString(connectionString);
        silo.Services.AddSingleton(_ => NpgsqlDataSource.Create(orleansConnectionString));
        silo.Services.AddSingleton<GroupCommitQueue>();
        silo.Services.AddSingleton<IActiveGrainIndex, PostgresActiveGrainIndex>();
        silo.Services.AddSingleton<IUserJobIndex, PostgresUserJobIndex>();
        silo.Services.AddGrainStorage(GrainStorage.Name, (services, _) => new PostgresGrainStore(
            services.GetRequiredService<GroupCommitQueue>(),
            new OrleansGrainStorageSerializer(services.GetRequiredService<Orleans.Serialization.Serializer>())));

        silo.AddAdoNetGrainStorage(GrainStorage.Dispatcher, o =>
        {
            o.Invariant = ClusterSettings.AdoInvariant;
            o.ConnectionString = orleansConnectionString;
        });
        // Orleans' own binary format: it round-trips our [GenerateSerializer] state records exactly.
        silo.Services.AddOptions<AdoNetGrainStorageOptions>(GrainStorage.Dispatcher)
            .Configure<Orleans.Serialization.Serializer>((o, serializer) =>
                o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer));
        silo.AddStartupTask((services, _) =>
            services.GetRequiredService<IGrainFactory>().GetGrain<IJobReconcilerGrain>(0).StartAsync());
        return silo;
    }

    /// <summary>What the core grains need besides storage.</summary>
    public static ISiloBuilder AddCorralServices(this ISiloBuilder silo, QuotaOptions quotas, WorkerLiveness? liveness = null)
    {
        silo.Services.AddSingleton(liveness ?? WorkerLiveness.Default);
        silo.Services.AddSingleton(quotas);
        silo.Services.AddSingleton(TimeProvider.System);
        return silo;
    }
}
