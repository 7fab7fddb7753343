using System.Net;
using Corral.Configuration;
using Corral.Hosting.Faults;
using Corral.Hosting.Tracing;
using Corral.Placement;
using Npgsql;
using Orleans.Configuration;

namespace Corral.Hosting;

/// <summary>
/// How a silo or a client joins the Corral cluster: its identity and membership in PostgreSQL. The core silo,
/// the host agent and the gateway call these, so they always agree on where and how to find each other.
/// </summary>
public static class CorralCluster
{
    /// <summary>Statements Npgsql prepares per connection once they repeat (Orleans runs a handful, very often).</summary>
    public const int AutoPreparedStatements = 32;

    /// <summary>
    /// A silo of the cluster: membership and reminders in PostgreSQL, its endpoints, and the placement of host
    /// grains. Reminders are spread over every silo, so each kind of silo serves its share.
    /// </summary>
    public static ISiloBuilder UseCorralCluster(this ISiloBuilder silo, ClusterSettings cluster, SiloEndpointSettings endpoints)
    {
        var connectionString = OrleansConnectionString(cluster.PostgresConnectionString);
        silo.Configure<ClusterOptions>(o => cluster.ApplyTo(o));
        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = ClusterSettings.AdoInvariant;
            o.ConnectionString = connectionString;
        });
        silo.UseCorralReminders(cluster.PostgresConnectionString);
        silo.Configure<EndpointOptions>(o =>
        {
            o.AdvertisedIPAddress = endpoints.Address;
            o.SiloPort = endpoints.SiloPort;
            o.GatewayPort = endpoints.GatewayPort;
            // Bound to one address, never to all: silo and gateway ports must not answer on a job-facing interface.
            o.SiloListeningEndpoint = new IPEndPoint(endpoints.ListenAddress, endpoints.SiloPort);
            o.GatewayListeningEndpoint = endpoints.GatewayPort > 0 ? new IPEndPoint(endpoints.ListenAddress, endpoints.GatewayPort) : null;
        });
        silo.AddHostSiloPlacement();
        // A database failure in a grain reaches its caller as an exception that crosses the wire and names its cause.
        silo.AddIncomingGrainCallFilter<DatabaseExceptionFilter>();
        cluster.Tls?.ApplyTo(silo);
        if (CorralHostDefaults.ExportsTraces(silo.Configuration))
        {
            silo.AddActivityPropagation();
            silo.AddJobTraceTags();
        }

        return silo;
    }

    /// <summary>A client of the cluster (the gateway) that keeps trying while the silos start or restart.</summary>
    public static IClientBuilder UseCorralCluster(this IClientBuilder client, ClusterSettings cluster)
    {
        client.Configure<ClusterOptions>(o => cluster.ApplyTo(o));
        client.UseAdoNetClustering(o =>
        {
            o.Invariant = ClusterSettings.AdoInvariant;
            o.ConnectionString = OrleansConnectionString(cluster.PostgresConnectionString);
        });
        cluster.Tls?.ApplyTo(client);
        // The gateway comes up on its own once the silos answer, whichever starts first.
        client.UseConnectionRetryFilter(async (_, cancellationToken) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            return true;
        });
        if (CorralHostDefaults.ExportsTraces(client.Configuration))
        {
            // A job's trace then runs from the gateway's request through every grain call it causes.
            client.AddActivityPropagation();
            client.AddJobTraceTags();
        }

        return client;
    }

    /// <summary>Reminders in PostgreSQL (also for test clusters that bring their own membership).</summary>
    public static ISiloBuilder UseCorralReminders(this ISiloBuilder silo, string connectionString) =>
        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = ClusterSettings.AdoInvariant;
            o.ConnectionString = OrleansConnectionString(connectionString);
        });

    /// <summary>Host grains live on their own host agent's silo; every silo places them, since placement runs on the caller.</summary>
    public static ISiloBuilder AddHostSiloPlacement(this ISiloBuilder silo)
    {
        silo.Services.AddPlacementDirector<HostSiloPlacement, HostSiloPlacementDirector>();
        return silo;
    }

    /// <summary>
    /// The connection string for Orleans' providers and the grain store: every grain write is a short statement on
    /// a pooled connection, so Npgsql prepares the repeated ones (no parse and plan per write) and skips resetting the
    /// connection state on every return to the pool (nothing changes it). That halves the statements PostgreSQL runs
    /// per job.
    /// </summary>
    public static string OrleansConnectionString(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString)
        {
            MaxAutoPrepare = AutoPreparedStatements,
            NoResetOnClose = true,
        }.ConnectionString;
}
