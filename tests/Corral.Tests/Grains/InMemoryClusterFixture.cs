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
            silo.Services.AddSingleton(new QuotaOptions(new Dictionary<string, int> { ["TIGHT"] = TightLimit }));
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
