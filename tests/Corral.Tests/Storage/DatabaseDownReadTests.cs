using Corral.Gateway.Api;
using Corral.Hosting.Faults;
using Corral.Jobs;
using Corral.Quotas;
using Corral.Storage;
using Corral.Tests.EndToEnd;
using Corral.Tests.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;
using Xunit;

namespace Corral.Tests.Storage;

/// <summary>
/// Reads while PostgreSQL is down (a port nothing listens on: connection refused, as from a stopped server) fail with
/// <see cref="DatabaseUnavailableException"/>, which crosses the wire, both in the stores and for a caller whose grain
/// could not activate: the gateway answers it 503 naming the database, with no rule for codec errors.
/// </summary>
public sealed class DatabaseDownReadTests : IAsyncLifetime
{
    private const string ConnectionKey = "CorralDownPostgres";

    private readonly string _connectionString =
        $"Host=127.0.0.1;Port={TestEnvironment.FreePort()};Username=corral;Password=corral;Database=corral;Timeout=2";

    private readonly NpgsqlDataSource _database;
    private readonly GroupCommitQueue _statements;
    private TestCluster _cluster = null!;

    public DatabaseDownReadTests()
    {
        _database = NpgsqlDataSource.Create(_connectionString);
        _statements = new GroupCommitQueue(_database, NullLogger<GroupCommitQueue>.Instance);
    }

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(1);
        builder.Properties[ConnectionKey] = _connectionString;
        builder.AddSiloBuilderConfigurator<Configurator>();
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _statements.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task TheGrainStore_AReadWhileTheDatabaseIsDown_FailsAsATransientOutage()
    {
        var serializer = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(QuotaState).Assembly))
            .BuildServiceProvider().GetRequiredService<Serializer>();
        var store = new PostgresGrainStore(_statements, new OrleansGrainStorageSerializer(serializer));

        var error = await Assert.ThrowsAsync<DatabaseUnavailableException>(
            () => store.ReadStateAsync("quota", GrainId.Create("quota", "alice/down"), new GrainState<QuotaState>()));

        Assert.True(error.IsTransient);
        Assert.StartsWith("NpgsqlException: ", error.Message);
    }

    [Fact]
    public async Task TheWaitingJobStore_ALoadWhileTheDatabaseIsDown_FailsAsATransientOutage()
    {
        var store = new PostgresWaitingJobStore(_statements, _database);

        var error = await Assert.ThrowsAsync<DatabaseUnavailableException>(() => store.LoadAsync(GrainId.Create("quota", "alice/down")));

        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task AGrainThatCannotReadItsState_ItsCallerGetsTheOutage_WhichTheGatewayAnswers503()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(
            () => _cluster.Client.GetGrain<IJobGrain>(Guid.NewGuid().ToString("N")).GetAsync());

        Assert.DoesNotContain(Chain(error), e => e is CodecNotFoundException);
        var outage = Assert.Single(Chain(error).OfType<DatabaseUnavailableException>());
        Assert.True(outage.IsTransient);
        Assert.Equal(UnavailablePart.Database, Unavailability.Classify(error));
    }

    private static IEnumerable<Exception> Chain(Exception error)
    {
        for (var current = error; current is not null; current = current.InnerException)
        {
            yield return current;
        }
    }

    private sealed class Configurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.AddCorralGrainStorage(silo.Configuration[ConnectionKey]!);
            silo.AddIncomingGrainCallFilter<DatabaseExceptionFilter>();
            silo.Services.AddSingleton(new QuotaOptions(new Dictionary<string, int>(), new Dictionary<string, int>(), new Dictionary<string, int>(), new Dictionary<string, int>()));
            silo.Services.AddSingleton(NoCapacityPolicy.Default);
            silo.Services.AddSingleton(TimeProvider.System);
            silo.Services.PostConfigure<GrainTypeOptions>(o => o.Classes.Remove(typeof(RecordingHostGrain)));
        }
    }
}
