using System.Diagnostics;
using System.Net.Sockets;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Corral.HostAgent;

namespace Corral.Benchmarks.Live;

/// <summary>
/// A core silo, a host agent and a gateway, started as processes on a throwaway database, the way deploy/up.sh
/// starts them. They inherit this process's environment, so <c>DOTNET_TieredCompilation=1 deploy/bench.sh live</c>
/// runs them with tiered compilation, which their build turns off (since .NET 9 the variable wins over the build's
/// setting). Disposing kills them and removes the agent's containers and its folder of job output files.
/// </summary>
public sealed class LiveProcesses : IAsyncDisposable
{
    private readonly List<Process> _processes = [];
    private readonly List<string> _names = [];
    private readonly Dictionary<string, ProcessStart> _starts = new(StringComparer.Ordinal);

    private LiveProcesses(Uri address, string adminToken)
    {
        Address = address;
        AdminToken = adminToken;
    }

    public Uri Address { get; }

    public string WorkerName { get; } = "bench-" + Guid.NewGuid().ToString("N")[..8];

    public string AdminToken { get; }

    /// <summary>Whether the servers run with tiered compilation: their build's setting (off) unless the environment overrides it.</summary>
    public static bool TieredCompilation => Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") is "1";

    /// <summary>How long each server took from its launch to ready, and the CPU time it had used by then, by name.</summary>
    public IReadOnlyDictionary<string, ProcessStart> Starts => _starts;

    public static async Task<LiveProcesses> StartAsync(BenchmarkDatabase database, IReadOnlyDictionary<string, string> settings)
    {
        var address = new Uri($"http://127.0.0.1:{BenchmarkEnvironment.FreePort()}");
        var live = new LiveProcesses(address, "corral_bench_admin_" + Guid.NewGuid().ToString("N"));
        var environment = new Dictionary<string, string>(settings)
        {
            ["CORRAL_POSTGRES"] = database.ConnectionString,
            ["CORRAL_CLUSTER_ID"] = database.Name,
            ["CORRAL_SILO_PORT"] = BenchmarkEnvironment.FreePort().ToString(),
            ["CORRAL_GATEWAY_PORT"] = BenchmarkEnvironment.FreePort().ToString(),
            ["CORRAL_URL"] = address.ToString().TrimEnd('/'),
            ["CORRAL_ADMIN_TOKEN"] = live.AdminToken,
        };
        var launched = Stopwatch.GetTimestamp();
        live.Start("Silo", "Corral.Silo", environment);
        live.Start("HostAgent", "Corral.HostAgent", new Dictionary<string, string>(environment)
        {
            ["CORRAL_SILO_PORT"] = BenchmarkEnvironment.FreePort().ToString(),
            ["CORRAL_GATEWAY_PORT"] = "0",
            ["CORRAL_WORKER_NAME"] = live.WorkerName,
        });
        live.Start("Gateway", "Corral.Gateway", environment);
        await live.WaitUntilReadyAsync(launched, int.Parse(environment["CORRAL_GATEWAY_PORT"]));
        return live;
    }

    /// <summary>The process id of a server process, by project name (Silo, HostAgent, Gateway).</summary>
    public int ProcessId(string project) => _processes[_names.IndexOf(project)].Id;

    /// <summary>CPU time used so far by each server process and by this one (the clients), by name.</summary>
    public Dictionary<string, TimeSpan> CpuTimes()
    {
        var times = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        for (var i = 0; i < _processes.Count; i++)
        {
            _processes[i].Refresh();
            times[Key(_names[i])] = _processes[i].TotalProcessorTime;
        }

        times["clients"] = Process.GetCurrentProcess().TotalProcessorTime;
        return times;
    }

    public HttpClient Client(string token) => GatewayApi.Client(Address, token);

    public async Task<string> CreateUserAsync(string name)
    {
        using var admin = Client(AdminToken);
        return await GatewayApi.CreateUserAsync(admin, name);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process.Dispose();
        }

        using var list = Process.Start(new ProcessStartInfo("docker", ["ps", "-aq", "--filter", $"label=corral.worker={WorkerName}"]) { RedirectStandardOutput = true })!;
        var leftovers = (await list.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        await list.WaitForExitAsync();
        if (leftovers.Length > 0)
        {
            using var remove = Process.Start(new ProcessStartInfo("docker", ["rm", "-f", .. leftovers]) { RedirectStandardOutput = true })!;
            await remove.WaitForExitAsync();
        }

        // The agent's folder of job output files (their containers are gone now).
        var outputs = Path.Combine(HostAgentSettings.DefaultJobOutputDirectory, WorkerName);
        if (Directory.Exists(outputs))
        {
            Directory.Delete(outputs, recursive: true);
        }
    }

    private static string Key(string project) => project.ToLowerInvariant() switch { "hostagent" => "host_agent", var name => name };

    private void Start(string project, string assembly, Dictionary<string, string> environment)
    {
        var configuration = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        var dll = Path.Combine(BenchmarkEnvironment.RepositoryRoot, project, "bin", configuration, "net10.0", assembly + ".dll");
        var start = new ProcessStartInfo("dotnet", [dll]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        // Drain the output so a chatty process never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        _names.Add(project);
    }

    /// <summary>
    /// Waits until each server is ready, noting when: the silo once its client gateway accepts connections, the gateway
    /// once /healthz answers, the host agent once its worker is alive in the cluster.
    /// </summary>
    private async Task WaitUntilReadyAsync(long launched, int siloGatewayPort)
    {
        using var admin = Client(AdminToken);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (_processes.Any(p => p.HasExited))
            {
                throw new InvalidOperationException("a process exited during start");
            }

            if (!_starts.ContainsKey("silo") && await AcceptsAsync(siloGatewayPort))
            {
                Ready("Silo", launched);
            }

            if (!_starts.ContainsKey("gateway") && await AnswersAsync(admin, "/healthz"))
            {
                Ready("Gateway", launched);
            }

            if (_starts.ContainsKey("gateway") && !_starts.ContainsKey("host_agent") && await WorkerAliveAsync(admin))
            {
                Ready("HostAgent", launched);
            }

            if (_starts.Count == 3)
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("the servers were not all ready within 120 s");
    }

    private void Ready(string project, long launched)
    {
        var process = _processes[_names.IndexOf(project)];
        process.Refresh();
        _starts[Key(project)] = new ProcessStart(Stopwatch.GetElapsedTime(launched), process.TotalProcessorTime);
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        try
        {
            using var socket = new TcpClient();
            await socket.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<bool> AnswersAsync(HttpClient client, string path)
    {
        try
        {
            using var response = await client.GetAsync(path);
            return response.IsSuccessStatusCode;
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private async Task<bool> WorkerAliveAsync(HttpClient admin)
    {
        try
        {
            var workers = await admin.GetFromJsonAsync<JsonArray>("/api/workers");
            return workers!.Any(w => w!["name"]!.GetValue<string>() == WorkerName && w["alive"]!.GetValue<bool>());
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
