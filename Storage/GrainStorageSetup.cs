using Corral.Configuration;
using Corral.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace Corral.Storage;

/// <summary>
/// Registers the grain store of the per-job grains (provider <see cref="GrainStorage.Name"/>), the job index and the
/// quotas' waiting jobs.
/// </summary>
public static class GrainStorageSetup
{
    /// <summary>The setting that picks the store: <see cref="GroupCommit"/> (the default) or <see cref="AdoNet"/>.</summary>
    public const string Setting = "CORRAL_GRAIN_STORAGE";

    /// <summary>Corral's own store: every read and write through a <see cref="GroupCommitQueue"/>.</summary>
    public const string GroupCommit = "group-commit";

    /// <summary>Orleans' ADO.NET store (table <c>OrleansStorage</c>), a commit per write: the fallback.</summary>
    public const string AdoNet = "adonet";

    /// <summary>
    /// The store named by <see cref="Setting"/> in the silo's configuration, on <paramref name="connectionString"/>.
    /// Either way the job index and the quotas' waiting jobs are written through a group-commit queue, in the same
    /// commit as their grain's state when the group-commit store holds it.
    /// </summary>
    public static ISiloBuilder AddCorralGrainStorage(this ISiloBuilder silo, string connectionString)
    {
        var backend = silo.Configuration[Setting];
        backend = string.IsNullOrWhiteSpace(backend) ? GroupCommit : backend.Trim().ToLowerInvariant();
        silo.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        silo.Services.AddSingleton<GroupCommitQueue>();
        silo.Services.AddSingleton<IJobIndex, PostgresJobIndex>();
        silo.Services.AddSingleton<Corral.Quotas.IWaitingJobStore, PostgresWaitingJobStore>();
        switch (backend)
        {
            case GroupCommit:
                silo.Services.AddGrainStorage(GrainStorage.Name, (services, _) => new PostgresGrainStore(
                    services.GetRequiredService<GroupCommitQueue>(),
                    new OrleansGrainStorageSerializer(services.GetRequiredService<Orleans.Serialization.Serializer>())));
                break;
            case AdoNet:
                silo.AddAdoNetStore(GrainStorage.Name, connectionString);
                break;
            default:
                throw new InvalidOperationException($"{Setting}: '{backend}' is not a grain store ({GroupCommit} or {AdoNet})");
        }

        return silo;
    }

    /// <summary>Orleans' ADO.NET grain storage under <paramref name="name"/>, in Orleans' own binary format.</summary>
    public static ISiloBuilder AddAdoNetStore(this ISiloBuilder silo, string name, string connectionString)
    {
        silo.AddAdoNetGrainStorage(name, o =>
        {
            o.Invariant = ClusterSettings.AdoInvariant;
            o.ConnectionString = connectionString;
        });
        // Orleans' binary format: it round-trips our [GenerateSerializer] state records exactly.
        silo.Services.AddOptions<AdoNetGrainStorageOptions>(name)
            .Configure<Orleans.Serialization.Serializer>((o, serializer) =>
                o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer));
        return silo;
    }
}
