using Corral.Hosting;
using Corral.Quotas;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.TestingHost;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>An in-process cluster with in-memory storage and reminders, for fast grain tests.</summary>
public sealed class InMemoryClusterFixture : IAsyncLifetime
{
    /// <summary>The limit for service "tight"; every other service gets the default.</summary>
    public const int TightLimit = 2;

    /// <summary>Service "capped": this cap across all users (SERVICE_CAPPED_MAX_RUNS), the default quota per user.</summary>
    public const int CappedCap = 2;

    /// <summary>Service "tightcapped": <see cref="TightLimit"/> per user and this cap across all users.</summary>
    public const int TightCappedCap = 3;

    /// <summary>Service "limited": a job's maximum duration is at most this (SERVICE_LIMITED_MAX_DURATION_SECONDS)...</summary>
    public const int LimitedCeiling = 60;

    /// <summary>...and this when the job asks for none (SERVICE_LIMITED_DEFAULT_DURATION_SECONDS).</summary>
    public const int LimitedDefault = 30;

    public TestCluster Cluster { get; } = new TestClusterBuilder(1).AddSiloBuilderConfigurator<Configurator>().Build();

    public IGrainFactory Grains => Cluster.GrainFactory;

    public Task InitializeAsync() => Cluster.DeployAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    private sealed class Configurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.AddMemoryGrainStorage(GrainStorage.Name);
            silo.AddMemoryGrainStorage(GrainStorage.Dispatcher);
            silo.Services.AddSingleton<Corral.Jobs.IJobIndex, Corral.Jobs.MemoryJobIndex>();
            silo.UseInMemoryReminderService();
            silo.AddHostSiloPlacement();
            silo.Services.AddSingleton(new QuotaOptions(
                new Dictionary<string, int> { ["TIGHT"] = TightLimit, ["TIGHTCAPPED"] = TightLimit },
                new Dictionary<string, int> { ["CAPPED"] = CappedCap, ["TIGHTCAPPED"] = TightCappedCap },
                new Dictionary<string, int> { ["LIMITED"] = LimitedCeiling },
                new Dictionary<string, int> { ["LIMITED"] = LimitedDefault }));
            silo.Services.AddSingleton(TimeProvider.System);
            silo.Services.AddSingleton(Corral.Workers.WorkerLiveness.Default);

            // Orleans resolves an interface to exactly one grain class: jobs here start on the recording host.
            silo.Services.PostConfigure<GrainTypeOptions>(o => o.Classes.Remove(typeof(Corral.HostAgent.HostGrain)));
        }
    }
}

[CollectionDefinition(Name)]
public sealed class InMemoryClusterCollection : ICollectionFixture<InMemoryClusterFixture>
{
    public const string Name = "in-memory cluster";
}
