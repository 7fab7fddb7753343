using Corral.Configuration;
using Corral.Hosting;
using Corral.Jobs;
using Corral.Quotas;
using Corral.Storage;
using Corral.Workers;
using Microsoft.Extensions.DependencyInjection;

namespace Corral.Silo;

/// <summary>Wires the core grains into a silo: their state in PostgreSQL and the services they need.</summary>
public static class CoreSiloSetup
{
    /// <summary>The core grains on PostgreSQL: their storage and the services they need (clustering is <see cref="CorralCluster"/>'s).</summary>
    public static ISiloBuilder AddCorralCore(
        this ISiloBuilder silo, string connectionString, QuotaOptions quotas, WorkerLiveness liveness, NoCapacityPolicy? noCapacity = null) =>
        silo.AddCorralStorage(connectionString).AddCorralServices(quotas, liveness, noCapacity);

    /// <summary>Grain state in PostgreSQL (reminders come with the cluster: <see cref="CorralCluster.UseCorralCluster(ISiloBuilder, ClusterSettings, SiloEndpointSettings)"/>).</summary>
    public static ISiloBuilder AddCorralStorage(this ISiloBuilder silo, string connectionString)
    {
        var orleansConnectionString = CorralCluster.OrleansConnectionString(connectionString);
        // CORRAL_GRAIN_STORAGE picks the store of the per-job grains (group-commit, or adonet as a fallback).
        silo.AddCorralGrainStorage(orleansConnectionString);
        silo.AddAdoNetStore(GrainStorage.Dispatcher, orleansConnectionString);
        silo.Services.AddHostedService<JobCountGauge>();
        silo.AddStartupTask((services, _) =>
            services.GetRequiredService<IGrainFactory>().GetGrain<IJobReconcilerGrain>(0).StartAsync());
        return silo;
    }

    /// <summary>What the core grains need besides storage.</summary>
    public static ISiloBuilder AddCorralServices(
        this ISiloBuilder silo, QuotaOptions quotas, WorkerLiveness? liveness = null, NoCapacityPolicy? noCapacity = null, BudgetClock? budgetClock = null)
    {
        silo.Services.AddSingleton(budgetClock ?? BudgetClock.System);
        silo.Services.AddSingleton(liveness ?? WorkerLiveness.Default);
        silo.Services.AddSingleton(noCapacity ?? NoCapacityPolicy.Default);
        silo.Services.AddSingleton(quotas);
        silo.Services.AddSingleton(TimeProvider.System);
        return silo;
    }
}
