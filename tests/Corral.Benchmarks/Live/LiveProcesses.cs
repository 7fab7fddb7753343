using System.Globalization;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Corral.HostAgent;

namespace Corral.Benchmarks.Live;

/// <summary>
/// A core silo, a host agent and a gateway, started as processes on a throwaway database, the way deploy/up.sh
/// starts them (the host agent at the engine's priority, CORRAL_AGENT_NICE as in deploy/env.sh). Disposing kills them and removes the agent's containers and its folder of job output files.
/// </summary>
public sealed class LiveProcesses : IAsyncDisposable
{
    private readonly List<Process> _processes = [];
    private readonly List<string> _names = [];

    private LiveProcesses(Uri address, string adminToken)
    {
        Address = address;
        AdminToken = adminToken;
    }

    public Uri Address { get; }

    public string WorkerName { get; } = "bench-" + Guid.NewGuid().ToString("N")[..8];

    public string AdminToken { get; }

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
        live.Start("Silo", "Corral.Silo", environment);
        live.Start("HostAgent", "Corral.HostAgent", new Dictionary<string, string>(environment)
        {
            ["CORRAL_SILO_PORT"] = BenchmarkEnvironment.FreePort().ToString(),
            ["CORRAL_GATEWAY_PORT"] = "0",
            ["CORRAL_WORKER_NAME"] = live.WorkerName,
        }, AgentNice());
        live.Start("Gateway", "Corral.Gateway", environment);
        await live.WaitUntilReadyAsync();
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
            times[_names[i].ToLowerInvariant() switch { "hostagent" => "host_agent", var name => name }] = _processes[i].TotalProcessorTime;
        }

        times["clients"] = Process.GetCurrentProcess().TotalProcessorTime;
        return times;
    }

    public HttpClient Client(string token)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<string> CreateUserAsync(string name)
    {
        using var admin = Client(AdminToken);
        var response = await admin.PostAsJsonAsync("/api/users", new { name });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
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

    /// <summary>The host agent's nice value, as deploy/env.sh sets it for deploy/up.sh; a value that is not one is refused by name.</summary>
    private static int AgentNice()
    {
        var (name, text) = Environment.GetEnvironmentVariable("CORRAL_AGENT_NICE") is { } agent
            ? ("CORRAL_AGENT_NICE", agent)
            : ("CORRAL_DOCKER_NICE", Environment.GetEnvironmentVariable("CORRAL_DOCKER_NICE") ?? "10");
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var nice) && nice is >= -20 and <= 19
            ? nice
            : throw new InvalidOperationException($"{name} must be a whole number from -20 to 19, not '{text}'");
    }

    private void Start(string project, string assembly, Dictionary<string, string> environment, int nice = 0)
    {
        var configuration = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        var dll = Path.Combine(BenchmarkEnvironment.RepositoryRoot, project, "bin", configuration, "net10.0", assembly + ".dll");
        // nice execs dotnet: the process (its pid, its CPU time) is the server's own.
        var start = new ProcessStartInfo("nice", ["-n", nice.ToString(CultureInfo.InvariantCulture), "dotnet", dll]) { RedirectStandardOutput = true, RedirectStandardError = true };
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

    private async Task WaitUntilReadyAsync()
    {
        using var admin = Client(AdminToken);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (_processes.Any(p => p.HasExited))
            {
                throw new InvalidOperationException("a process exited during start");
            }

            try
            {
                var workers = await admin.GetFromJsonAsync<JsonArray>("/api/workers");
                if (workers!.Any(w => w!["name"]!.GetValue<string>() == WorkerName && w["alive"]!.GetValue<bool>()))
                {
                    return;
                }
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
            }

            await Task.Delay(250);
        }

        throw new TimeoutException("the gateway did not answer within 120 s");
    }
}
