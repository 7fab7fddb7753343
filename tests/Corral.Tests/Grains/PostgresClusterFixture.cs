using System.Collections.Concurrent;
using System.Collections.Immutable;
using Corral.Hosting;
using Corral.Jobs;
using Corral.Quotas;
using Corral.Reconciling;
using Corral.Silo;
using Corral.Storage;
using Corral.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;
using Orleans.TestingHost;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// A three-silo in-process cluster whose grain state and reminders live in a fresh PostgreSQL database, so
/// silos can be killed without losing anything that was persisted. The per-job grains' store is the group-commit
/// one; <see cref="AdoNetClusterFixture"/> runs the same cluster on the fallback.
/// </summary>
public class PostgresClusterFixture : IAsyncLifetime
{
    public const string Service = "burst";
    public const int Limit = 3;

    /// <summary>A service with a cap across all users (SERVICE_SHARED_MAX_RUNS) and the default quota per user.</summary>
    public const string CappedService = "shared";

    public const int Cap = 3;

    /// <summary>A capped service (cap <see cref="Cap"/>) whose users may start one job per hour (SERVICE_METERED_JOBS_PER_USER_PER_HOUR).</summary>
    public const string MeteredService = "metered";

    /// <summary>A service capped at <see cref="Cap"/> whose high-priority jobs preempt (SERVICE_RUSH_PREEMPTION=true).</summary>
    public const string PreemptiveService = "rush";

    /// <summary>A service without a cap, <see cref="OwnLimit"/> runs per user, whose high jobs preempt their own user's lower ones.</summary>
    public const string OwnPreemptiveService = "selfrush";

    public const int OwnLimit = 2;
    private const string ConnectionKey = "CorralTestPostgres";
    private const string ClockKeyName = "CorralTestNoCapacityClock";

    /// <summary>The no-capacity grace of this cluster, measured on <see cref="NoCapacityClock"/>.</summary>
    public static readonly TimeSpan NoCapacityGrace = TimeSpan.FromSeconds(600);

    // Silos are built from a configurator type, so each fixture's silos find its clock here by a key.
    private static readonly ConcurrentDictionary<string, FakeTimeProvider> Clocks = new(StringComparer.Ordinal);

    private static readonly ConcurrentDictionary<string, FakeTimeProvider> BudgetClocks = new(StringComparer.Ordinal);

    private readonly string _clockKey = Guid.NewGuid().ToString("N");

    private readonly string _database = "corral_grains_" + Guid.NewGuid().ToString("N")[..10];
    private readonly string _grainStorage;

    public PostgresClusterFixture()
        : this(GrainStorageSetup.GroupCommit)
    {
    }

    // Protected: xunit wants a single public constructor on a fixture.
    protected PostgresClusterFixture(string grainStorage) => _grainStorage = grainStorage;

    public TestCluster Cluster { get; private set; } = null!;

    /// <summary>
    /// The clock this cluster's no-capacity grace runs on, kept across <see cref="RestartClusterAsync"/>; tests move it.
    /// Only that policy reads it, so Orleans' own timers keep the real clock.
    /// </summary>
    public FakeTimeProvider NoCapacityClock { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>The clock users' budgets run on, kept across <see cref="RestartClusterAsync"/>; tests move it.</summary>
    public FakeTimeProvider BudgetClock { get; } = new(DateTimeOffset.UtcNow);

    public string ConnectionString { get; private set; } = "";

    /// <summary>Counts rows with a connection of its own, outside the cluster.</summary>
    public async Task<long> CountAsync(string sql, params object[] parameters)
    {
        await using var connection = new Npgsql.NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = parameter });
        }

        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// The job reconciler's sweep, run at once on the first silo: jobs in no queue are woken whenever quiet (here: at
    /// once), those waiting in a quota's queue once quiet for <paramref name="waitingQuietFor"/>.
    /// </summary>
    public Task<ReconcilerSweep> SweepAsync(TimeSpan waitingQuietFor)
    {
        var services = Cluster.Silos.OfType<InProcessSiloHandle>().First().SiloHost.Services;
        return JobReconcilerGrain.SweepAsync(
            services.GetRequiredService<IJobIndex>(),
            services.GetRequiredService<IWaitingJobStore>(),
            services.GetRequiredService<IGrainFactory>(),
            TimeSpan.Zero,
            waitingQuietFor);
    }

    /// <summary>A batch job of this fixture's service; no worker exists, so once admitted it waits pending.</summary>
    public static JobSpec BatchSpec(string service = Service) => new(
        service, "corral/busybox:latest", ["true"], JobKind.Batch,
        ImmutableDictionary<string, string>.Empty, ResourceRequest.None, null);

    public async Task InitializeAsync()
    {
        ConnectionString = await TestEnvironment.CreateDatabaseAsync(_database);
        Clocks[_clockKey] = NoCapacityClock;
        BudgetClocks[_clockKey] = BudgetClock;
        await DeployAsync();
    }

    /// <summary>Stops every silo and starts a new cluster on the same database: only what was persisted remains.</summary>
    public async Task RestartClusterAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        await DeployAsync();
    }

    private async Task DeployAsync()
    {
        var builder = new TestClusterBuilder(3);
        builder.Properties[ConnectionKey] = ConnectionString;
        builder.Properties[GrainStorageSetup.Setting] = _grainStorage;
        builder.Properties[ClockKeyName] = _clockKey;
        builder.AddSiloBuilderConfigurator<Configurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Clocks.TryRemove(_clockKey, out _);
        BudgetClocks.TryRemove(_clockKey, out _);
        await TestEnvironment.DropDatabaseAsync(_database);
    }

    private sealed class Configurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo
                .UseCorralReminders(silo.Configuration[ConnectionKey]!)
                .AddHostSiloPlacement()
                .AddCorralStorage(silo.Configuration[ConnectionKey]!)
                .AddCorralServices(new QuotaOptions(
                    new Dictionary<string, int> { [Service.ToUpperInvariant()] = Limit, [OwnPreemptiveService.ToUpperInvariant()] = OwnLimit },
                    new Dictionary<string, int> { [CappedService.ToUpperInvariant()] = Cap, [MeteredService.ToUpperInvariant()] = Cap, [PreemptiveService.ToUpperInvariant()] = Cap },
                    new Dictionary<string, int>(),
                    new Dictionary<string, int>())
                {
                    JobsPerHour = ImmutableDictionary.Create<string, int>(StringComparer.OrdinalIgnoreCase).Add(MeteredService.ToUpperInvariant(), 1),
                    Preemptive = ImmutableHashSet.Create(StringComparer.OrdinalIgnoreCase, PreemptiveService.ToUpperInvariant(), OwnPreemptiveService.ToUpperInvariant()),
                },
                    null,
                    new NoCapacityPolicy(NoCapacityGrace, Clocks[silo.Configuration[ClockKeyName]!]),
                    new BudgetClock(BudgetClocks[silo.Configuration[ClockKeyName]!]));

            // The product's HostGrain is this cluster's one implementation of IHostGrain.
            silo.Services.PostConfigure<GrainTypeOptions>(o => o.Classes.Remove(typeof(RecordingHostGrain)));
        }
    }
}
