using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Corral.Benchmarks.Faults;

/// <summary>
/// The system under test, as processes on the suite's own database: three core silos, one host agent on the Docker
/// engine (or, given an <see cref="OwnEngineHost"/>, inside it on its engine) and two gateways, each restartable on
/// its own ports. Disposing kills them and removes the agent's containers.
/// </summary>
public sealed class FaultCluster : IAsyncDisposable
{
    public const int SiloCount = 3;
    public const int GatewayCount = 2;

    private readonly Dictionary<string, string> _common;
    private readonly ServerProcess[] _silos = new ServerProcess[SiloCount];
    private readonly ServerProcess[] _gateways = new ServerProcess[GatewayCount];
    private readonly Dictionary<string, string>[] _siloEnvironments = new Dictionary<string, string>[SiloCount];
    private readonly Dictionary<string, string>[] _gatewayEnvironments = new Dictionary<string, string>[GatewayCount];
    private readonly OwnEngineHost? _ownEngine;
    private ServerProcess _hostAgent = null!;

    private FaultCluster(Dictionary<string, string> common, string jobOutputDirectory, OwnEngineHost? ownEngine)
    {
        _common = common;
        JobOutputDirectory = jobOutputDirectory;
        _ownEngine = ownEngine;
    }

    /// <summary>The host agent's JOB_OUTPUT_DIR (its jobs' output files and working directories).</summary>
    public string JobOutputDirectory { get; }

    public string WorkerName { get; } = "faults-" + Guid.NewGuid().ToString("N")[..8];

    public string AdminToken { get; } = "corral_faults_admin_" + Guid.NewGuid().ToString("N");

    public Uri[] Gateways { get; } = new Uri[GatewayCount];

    public string JobOutputFolder => Path.Combine(JobOutputDirectory, WorkerName);

    /// <summary>
    /// Starts every process with <paramref name="settings"/> (quotas and such) on <paramref name="connectionString"/>,
    /// the host agent's job output in <paramref name="jobOutputDirectory"/>, the agent in <paramref name="ownEngine"/>
    /// when there is one.
    /// </summary>
    public static async Task<FaultCluster> StartAsync(
        string connectionString, string clusterId, IReadOnlyDictionary<string, string> settings, string jobOutputDirectory,
        OwnEngineHost? ownEngine = null)
    {
        var common = new Dictionary<string, string>(settings)
        {
            ["CORRAL_POSTGRES"] = connectionString,
            ["CORRAL_CLUSTER_ID"] = clusterId,
        };
        foreach (var (key, value) in ownEngine?.ClusterEnvironment ?? new Dictionary<string, string>())
        {
            common[key] = value;
        }

        var cluster = new FaultCluster(common, jobOutputDirectory, ownEngine);
        for (var i = 0; i < SiloCount; i++)
        {
            cluster._siloEnvironments[i] = new Dictionary<string, string>(cluster._common)
            {
                ["CORRAL_SILO_PORT"] = BenchmarkEnvironment.FreePort().ToString(),
                ["CORRAL_GATEWAY_PORT"] = BenchmarkEnvironment.FreePort().ToString(),
            };
            cluster.StartSilo(i);
        }

        for (var i = 0; i < GatewayCount; i++)
        {
            cluster.Gateways[i] = new Uri($"http://127.0.0.1:{BenchmarkEnvironment.FreePort()}");
            cluster._gatewayEnvironments[i] = new Dictionary<string, string>(cluster._common)
            {
                ["CORRAL_URL"] = cluster.Gateways[i].ToString().TrimEnd('/'),
                ["CORRAL_ADMIN_TOKEN"] = cluster.AdminToken,
            };
            cluster.StartGateway(i);
        }

        cluster.StartHostAgent();
        try
        {
            // Generous: on a loaded machine six .NET processes take minutes to start and join.
            await cluster.WaitUntilWorkerIsAliveAsync(TimeSpan.FromMinutes(8));
            return cluster;
        }
        catch
        {
            // Processes outlive the suite unless killed.
            await cluster.DisposeAsync();
            throw;
        }
    }

    public void KillSilo(int index) => _silos[index].Kill();

    public void StartSilo(int index)
    {
        _silos[index]?.Dispose();
        _silos[index] = new ServerProcess($"silo-{index}", "Silo", "Corral.Silo", _siloEnvironments[index]);
        _silos[index].Start();
    }

    /// <summary>Starts again every silo that is not running.</summary>
    public void RestartDeadSilos()
    {
        for (var i = 0; i < SiloCount; i++)
        {
            if (_silos[i].HasExited)
            {
                StartSilo(i);
            }
        }
    }

    /// <summary>Silos that exited although no fault killed them (a silo must ride out an outage), with their last lines.</summary>
    public IReadOnlyList<string> ExitedSilos() =>
        [.. _silos.Where(s => s.HasExited && !s.Killed).Select(s => $"{s.Name}:\n{Tail(s.OutputTail)}")];

    public void KillGateway(int index) => _gateways[index].Kill();

    public void StartGateway(int index)
    {
        _gateways[index]?.Dispose();
        _gateways[index] = new ServerProcess($"gateway-{index}", "Gateway", "Corral.Gateway", _gatewayEnvironments[index]);
        _gateways[index].Start();
    }

    public void KillHostAgent() => _hostAgent.Kill();

    public void StartHostAgent()
    {
        _hostAgent?.Dispose();
        var environment = new Dictionary<string, string>(_common)
        {
            ["CORRAL_SILO_PORT"] = BenchmarkEnvironment.FreePort().ToString(),
            ["CORRAL_GATEWAY_PORT"] = "0",
            ["CORRAL_WORKER_NAME"] = WorkerName,
            ["JOB_OUTPUT_DIR"] = JobOutputDirectory,
        };
        if (_ownEngine is not null)
        {
            foreach (var (key, value) in _ownEngine.AgentEnvironment(_common["CORRAL_POSTGRES"]))
            {
                environment[key] = value;
            }
        }

        _hostAgent = new ServerProcess("hostagent", "HostAgent", "Corral.HostAgent", environment, _ownEngine?.Host.Name);
        _hostAgent.Start();
    }

    public HttpClient Client(string token, int gateway = 0, TimeSpan? timeout = null) =>
        GatewayApi.Client(Gateways[gateway], token, timeout);

    public async Task<string> CreateUserAsync(string name)
    {
        using var admin = Client(AdminToken);
        return await GatewayApi.CreateUserAsync(admin, name);
    }

    /// <summary>Why each gateway answered 500 (its first such lines).</summary>
    public IEnumerable<string> GatewayExceptionLines() =>
        _gateways.SelectMany(g => g.ExceptionLines.Select(line => $"{g.Name}: {line}"));

    /// <summary>The last lines of every process, for a report of what went wrong.</summary>
    public string Diagnostics() => string.Join('\n', _silos.Concat(_gateways).Append(_hostAgent)
        .Select(p => $"--- {p.Name}{(p.HasExited ? " (exited)" : string.Empty)}\n{Tail(p.OutputTail)}"))
        + (_ownEngine is null ? string.Empty : $"\n--- dockerd (own engine)\n{Tail(_ownEngine.Engine.Log)}");

    public async Task WaitUntilWorkerIsAliveAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await WorkerAliveAsync())
            {
                return;
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"worker {WorkerName} was not alive within {timeout}:\n{Diagnostics()}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _gateways.Concat(_silos).Append(_hostAgent))
        {
            process?.Dispose();
        }

        // The own engine's containers go with it (OwnEngineHost's dispose); the shared engine's must be removed here.
        if (_ownEngine is null)
        {
            await Docker.RemoveContainersAsync($"label=corral.worker={WorkerName}");
        }

        if (Directory.Exists(JobOutputFolder))
        {
            Directory.Delete(JobOutputFolder, recursive: true);
        }
    }

    private async Task<bool> WorkerAliveAsync()
    {
        for (var gateway = 0; gateway < GatewayCount; gateway++)
        {
            try
            {
                using var admin = Client(AdminToken, gateway, TimeSpan.FromSeconds(10));
                var workers = await admin.GetFromJsonAsync<JsonArray>("/api/workers");
                return workers!.Any(w => w!["name"]!.GetValue<string>() == WorkerName && w["alive"]!.GetValue<bool>());
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                // This gateway is not up (yet); try the other.
            }
        }

        return false;
    }

    private static string Tail(string text) => text.Length > 3000 ? text[^3000..] : text;
}
