using Corral.Configuration;
using Corral.HostAgent;
using Corral.HostAgent.Containers;
using Corral.HostAgent.Egress;
using Corral.HostAgent.Hardware;
using Corral.HostAgent.Jobs;
using Corral.HostAgent.Logs;
using Corral.Placement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;

// A host agent: an Orleans silo on a worker host that runs that host's job containers.
try
{
    var settings = SettingsReader.FromProcess();
    var cluster = ClusterSettings.Read(settings);
    var endpoints = SiloEndpointSettings.Read(settings, defaultSiloPort: 11112, defaultGatewayPort: 0);
    var agent = HostAgentSettings.Read(settings);
    var docker = ContainerRuntime.Connect(agent.DockerEndpoint);
    await EngineCheck.EnsureReachableAsync(docker, agent.DockerEndpoint);
    if (agent.SshUseLxcfs == true && !Lxcfs.IsAvailable())
    {
        throw new InvalidSettingException("SSH_USE_LXCFS", "true", $"lxcfs does not serve {Lxcfs.Root} on this host (deploy/lib/lxcfs.sh starts it)");
    }

    var capacity = await HardwareProbe.ProbeAsync(agent.InjectedGpus, CancellationToken.None);
    var outputs = new JobOutputFiles(agent);
    outputs.EnsureReady();
    var iptables = new IptablesCli();
    await EgressCheck.EnsureAvailableAsync(iptables, CancellationToken.None);

    var builder = Host.CreateApplicationBuilder(args);
    builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.UseUtcTimestamp = true; o.TimestampFormat = "HH:mm:ss.fff "; });
    builder.Logging.AddFilter("Orleans", LogLevel.Warning);
    builder.Logging.AddFilter("Polly", LogLevel.Warning);
    builder.Services.AddSingleton(agent);
    builder.Services.AddSingleton(TimeProvider.System);
    builder.Services.AddSingleton(docker);
    builder.Services.AddSingleton<ContainerRuntime>();
    builder.Services.AddSingleton(capacity);
    builder.Services.AddSingleton<ContainerLauncher>();
    builder.Services.AddSingleton<IJobMonitor, OomMonitor>();
    builder.Services.AddSingleton(NpgsqlDataSource.Create(cluster.PostgresConnectionString));
    builder.Services.AddSingleton(outputs);
    builder.Services.AddSingleton<LogStore>();
    builder.Services.AddSingleton<LogPump>();
    builder.Services.AddSingleton<LogSourceSelector>();
    builder.Services.AddSingleton<JobReporter>();
    builder.Services.AddSingleton<JobSupervisor>();
    builder.Services.AddSingleton<IIptables>(iptables);
    builder.Services.AddSingleton<HostLock>();
    builder.Services.AddSingleton<EgressFirewall>();
    builder.Services.AddSingleton(EgressOptions.Default);
    builder.Services.AddSingleton<EgressMeter>();
    builder.Services.AddSingleton<IJobMonitor>(services => services.GetRequiredService<EgressMeter>());
    builder.UseOrleans(silo =>
    {
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = cluster.ServiceId;
        });
        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = ClusterSettings.AdoInvariant;
            o.ConnectionString = cluster.PostgresConnectionString;
        });
        // Reminders are spread over every silo of the cluster, so this one must serve its share too.
        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = ClusterSettings.AdoInvariant;
            o.ConnectionString = cluster.PostgresConnectionString;
        });
        silo.ConfigureEndpoints(endpoints.Address, endpoints.SiloPort, endpoints.GatewayPort, listenOnAnyHostAddress: false);
        silo.Services.AddPlacementDirector<HostSiloPlacement, HostSiloPlacementDirector>();
    });
    // Hosted services start in order: the egress meter removes stale chains before the registrar adopts containers.
    builder.Services.AddHostedService(services => services.GetRequiredService<EgressMeter>());
    builder.Services.AddHostedService<WorkerRegistrar>();
    await builder.Build().RunAsync();
    return 0;
}
catch (Exception error) when (error is InvalidSettingException or EngineUnavailableException or EgressUnavailableException or IptablesException or FileNotFoundException)
{
    Console.Error.WriteLine($"corral-hostagent: {error.Message}");
    return 2;
}
