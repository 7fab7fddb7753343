using Corral.Configuration;
using Corral.HostAgent;
using Corral.HostAgent.Containers;
using Corral.HostAgent.Egress;
using Corral.HostAgent.Hardware;
using Corral.HostAgent.Jobs;
using Corral.HostAgent.Logs;
using Corral.HostAgent.Workspaces;
using Corral.Files;
using Corral.Hosting;
using Corral.Hosting.Operations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

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

    var capacity = await HardwareProbe.ProbeAsync(agent.InjectedGpus, settings, CancellationToken.None);
    var outputs = new JobOutputFiles(agent);
    outputs.EnsureReady();
    // Before any container is created or adopted: their MACs, and the egress chains that match them, derive from it.
    JobMacAddress.UseHostKey(JobMacKey.LoadOrCreate(outputs.Folder));
    var iptables = new IptablesCli();
    await EgressCheck.EnsureAvailableAsync(iptables, CancellationToken.None);

    var builder = CorralServer.CreateBuilder(args, settings, "corral-hostagent");
    builder.Services.AddHealthChecks()
        .AddCheck<SiloJoinedHealthCheck>("cluster", tags: [OperationsEndpoints.ReadyTag])
        .AddCheck<EngineHealthCheck>("docker", tags: [OperationsEndpoints.ReadyTag])
        .AddCheck<IptablesHealthCheck>("iptables", tags: [OperationsEndpoints.ReadyTag]);
    builder.Services.AddSingleton(agent);
    builder.Services.AddSingleton(TimeProvider.System);
    builder.Services.AddSingleton(docker);
    builder.Services.AddSingleton<ContainerRuntime>();
    builder.Services.AddSingleton(capacity);
    builder.Services.AddSingleton<ContainerLauncher>();
    builder.Services.AddSingleton<IJobMonitor, OomMonitor>();
    builder.Services.AddSingleton<IJobMonitor, DurationMonitor>();
    builder.Services.AddSingleton<IJobMonitor, CpuUsageMonitor>();
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
    builder.Services.AddSingleton<IJobFileStore, PostgresJobFileStore>();
    builder.Services.AddSingleton<JobWorkspaces>();
    builder.Services.AddSingleton<ResultCollector>();
    builder.Services.AddSingleton<WorkspaceResults>();
    builder.Services.AddSingleton<IJobMonitor, DiskQuotaMonitor>();
    builder.Services.AddSingleton<IJobMonitor, OutputDiskMonitor>();
    // Last of the monitors: disposed last, once the others have let go, it collects the job's results.
    builder.Services.AddSingleton<IJobMonitor, ResultsMonitor>();
    builder.UseOrleans(silo => silo.UseCorralCluster(cluster, endpoints));
    // Hosted services start in order: the egress meter removes stale chains before the registrar adopts containers.
    builder.Services.AddHostedService(services => services.GetRequiredService<EgressMeter>());
    builder.Services.AddHostedService<WorkspaceSweep>();
    builder.Services.AddHostedService<WorkerRegistrar>();
    await builder.BuildWithOperations().RunAsync();
    return 0;
}
catch (Exception error) when (error is InvalidSettingException or EngineUnavailableException or EgressUnavailableException or IptablesException or FileNotFoundException)
{
    Console.Error.WriteLine($"corral-hostagent: {error.Message}");
    return 2;
}
