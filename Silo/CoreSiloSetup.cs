using Corral.Configuration;
using Corral.Jobs;
using Corral.Placement;
using Corral.Quotas;
using Corral.Storage;
using Corral.Workers;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Configuration;

namespace Corral.Silo;

/// <summary>Wires the core silo: PostgreSQL clustering, grain state and reminders, and the core grains' services.</summary>
public static class CoreSiloSetup
{
    /// <summary>Statements Npgsql prepares per connection once they repeat (Orleans runs a handful, very often).</summary>
    public const int AutoPreparedStatements = 32;

    public static ISiloBuilder AddCorralCore(this ISiloBuilder silo, ClusterSettings cluster, QuotaOptions quotas, WorkerLiveness liveness)
    {
        var connectionString = OrleansConnectionString(cluster.PostgresConnectionString);
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = cluster.ServiceId;
        });
        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = ClusterSettings.AdoInvariant;
            o.ConnectionString = connectionString;
        });
        return silo.AddCorralStorage(cluster.PostgresConnectionString).AddCorralServices(quotas, liveness);
    }

    /// <summary>Grain state and reminders in PostgreSQL.</summary>
    public static ISiloBuilder AddCorralStorage(this ISiloBuilder silo, string connectionString)
    {
        var orleansConnectionString = OrleansConnectionString(connectionString);
        // CORRAL_GRAIN_STORAGE picks the store of the per-job grains (group-commit, or adonet as a fallback).
        silo.AddCorralGrainStorage(orleansConnectionString);
        silo.AddAdoNetStore(GrainStorage.Dispatcher, orleansConnectionString);
        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = ClusterSettings.AdoInvariant;
            o.ConnectionString = orleansConnectionString;
        });
        silo.AddStartupTask((services, _) =>
            services.GetRequiredService<IGrainFactory>().GetGrain<IJobReconcilerGrain>(0).StartAsync());
        return silo;
    }

    /// <summary>What the core grains need besides storage.</summary>
    public static ISiloBuilder AddCorralServices(this ISiloBuilder silo, QuotaOptions quotas, WorkerLiveness? liveness = null)
    {
        silo.Services.AddSingleton(liveness ?? WorkerLiveness.Default);
        silo.Services.AddPlacementDirector<HostSiloPlacement, HostSiloPlacementDirector>();
        silo.Services.AddSingleton(quotas);
        silo.Services.AddSingleton(TimeProvider.System);
        return silo;
    }

    /// <summary>
    /// The connection string for Orleans' providers: every grain write is a short statement on a pooled
    /// connection, so Npgsql prepares the repeated ones (no parse and plan per write) and skips resetting the
    /// connection state on every return to the pool (the providers change none). That halves the statements
    /// PostgreSQL runs per job.
    /// </summary>
    public static string OrleansConnectionString(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString)
        {
            MaxAutoPrepare = AutoPreparedStatements,
            NoResetOnClose = true,
        }.ConnectionString;
}
