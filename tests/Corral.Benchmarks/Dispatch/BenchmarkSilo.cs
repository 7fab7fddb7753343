using System.Net;
using Corral.Configuration;
using Corral.HostAgent;
using Corral.Hosting;
using Corral.Quotas;
using Corral.Silo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Storage;

namespace Corral.Benchmarks.Dispatch;

/// <summary>
/// A core silo in this process: either the in-memory configuration of the grain tests, or the production wiring
/// (<see cref="CoreSiloSetup.AddCorralCore"/>: PostgreSQL clustering, grain state with Orleans' binary serializer,
/// reminders). Host grains are <see cref="SimulatedHostGrain"/>s on this very silo.
/// </summary>
public sealed class BenchmarkSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private BenchmarkSilo(IHost host)
    {
        _host = host;
        Grains = host.Services.GetRequiredService<IGrainFactory>();
        Fleet = host.Services.GetRequiredService<SimulatedFleet>();
        HostKey = host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString();
    }

    public IGrainFactory Grains { get; }

    public SimulatedFleet Fleet { get; }

    /// <summary>The key of this silo's host grain: what simulated workers register with.</summary>
    public string HostKey { get; }

    public IServiceProvider Services => _host.Services;

    /// <summary>Starts a silo; with a connection string it persists to PostgreSQL, otherwise in memory.</summary>
    public static async Task<BenchmarkSilo> StartAsync(string? postgresConnectionString, CancellationToken cancellationToken, QuotaOptions? quotaOptions = null)
    {
        var quotas = quotaOptions ?? new QuotaOptions(new Dictionary<string, int>());
        var clusterId = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var siloPort = BenchmarkEnvironment.FreePort();
        var gatewayPort = BenchmarkEnvironment.FreePort();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(
            o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddSingleton<SimulatedFleet>();
        builder.UseOrleans(silo =>
        {
            if (postgresConnectionString is null)
            {
                silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: clusterId, clusterId: clusterId);
                // The production storage serializer (Orleans' binary format, as CoreSiloSetup gives the ADO.NET
                // provider) instead of the memory provider's default JSON: the two runs differ only in the store.
                foreach (var name in new[] { GrainStorage.Name, GrainStorage.Dispatcher })
                {
                    silo.AddMemoryGrainStorage(name);
                    silo.Services.AddOptions<MemoryGrainStorageOptions>(name)
                        .Configure<Orleans.Serialization.Serializer>((o, serializer) =>
                            o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer));
                }
                silo.UseInMemoryReminderService();
                silo.Services.AddSingleton<Corral.Jobs.IJobIndex, Corral.Jobs.MemoryJobIndex>();
                silo.Services.AddSingleton<Corral.Quotas.IWaitingJobStore, Corral.Quotas.MemoryWaitingJobStore>();
                silo.AddHostSiloPlacement();
                // The services the production wiring gives the core grains, so the two runs differ only in the store.
                silo.AddCorralServices(quotas, Corral.Workers.WorkerLiveness.Default);
            }
            else
            {
                silo.UseCorralCluster(
                        new ClusterSettings(postgresConnectionString, clusterId, clusterId),
                        new SiloEndpointSettings(IPAddress.Loopback, siloPort, gatewayPort))
                    .AddCorralCore(postgresConnectionString, quotas, Corral.Workers.WorkerLiveness.Default);
            }

            // Corral.HostAgent is referenced for the log benchmark; its HostGrain must not compete with
            // the simulated one for IHostGrain (Orleans resolves an interface to exactly one grain class).
            silo.Services.PostConfigure<GrainTypeOptions>(o => o.Classes.Remove(typeof(HostGrain)));
        });
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new BenchmarkSilo(host);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _host.StopAsync(timeout.Token);
        _host.Dispose();
    }
}
