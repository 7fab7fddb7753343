using Corral.Hosting;
using Corral.Quotas;
using Corral.Silo;
using Corral.Users;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.TestingHost;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>
/// An in-memory cluster whose users may have <see cref="MaxQueued"/> jobs waiting and use <see cref="MaxServices"/>
/// services, with one slot per user for service "one", so a held slot keeps every other job of that service queued.
/// </summary>
public sealed class UserLimitsClusterFixture : IAsyncLifetime
{
    public const int MaxQueued = 3;

    public const int MaxServices = 2;

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
            silo.Services.AddSingleton<Corral.Quotas.IWaitingJobStore, Corral.Quotas.MemoryWaitingJobStore>();
            silo.UseInMemoryReminderService();
            silo.AddHostSiloPlacement();
            // The core silo's own services, so this cluster cannot drift from what grains need.
            silo.AddCorralServices(new QuotaOptions(new Dictionary<string, int> { ["ONE"] = 1 })
            {
                Users = new UserLimits(MaxQueued, MaxServices),
            });
            silo.Services.PostConfigure<GrainTypeOptions>(o => o.Classes.Remove(typeof(Corral.HostAgent.HostGrain)));
        }
    }
}
