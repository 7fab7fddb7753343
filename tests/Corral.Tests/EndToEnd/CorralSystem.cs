using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Corral.HostAgent;
using Corral.HostAgent.Containers;
using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>
/// The whole system, started the way deploy/up.sh starts it: a fresh PostgreSQL database with the schema
/// from deploy/sql, one core silo, one host agent on the real Docker engine, and the gateway, as processes.
/// A subclass gives its host agent more settings (<see cref="CappedSshSystem"/>).
/// </summary>
public class CorralSystem : IAsyncLifetime
{
    private readonly string _database = "corral_e2e_" + Guid.NewGuid().ToString("N")[..10];
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _hostAgentEnvironment;

    public CorralSystem()
        : this(new Dictionary<string, string>())
    {
    }

    // Protected: xunit wants a single public constructor on a fixture.
    protected CorralSystem(IReadOnlyDictionary<string, string> hostAgentSettings)
    {
        _hostAgentEnvironment = new Dictionary<string, string>(hostAgentSettings, StringComparer.Ordinal);
    }

    public string WorkerName { get; } = "e2e-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Where this system's host agent keeps its jobs' output files (the default JOB_OUTPUT_DIR).</summary>
    public string JobOutputFolder => Path.Combine(HostAgentSettings.DefaultJobOutputDirectory, WorkerName);

    public string AdminToken { get; } = "corral_e2e_admin_" + Guid.NewGuid().ToString("N");

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The system's own database, for tests that check what is stored (or hold locks in it).</summary>
    public string ConnectionString => _environment["CORRAL_POSTGRES"];

    /// <summary>Where the core silo serves /healthz/* and /metrics (CORRAL_OPS_URL).</summary>
    public Uri SiloOperations { get; } = new($"http://127.0.0.1:{TestEnvironment.FreePort()}");

    /// <summary>Where the host agent serves /healthz/* and /metrics (CORRAL_OPS_URL).</summary>
    public Uri HostAgentOperations { get; } = new($"http://127.0.0.1:{TestEnvironment.FreePort()}");

    public ManagedProcess Silo { get; private set; } = null!;

    public ManagedProcess HostAgent { get; private set; } = null!;

    public ManagedProcess Gateway { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        var connectionString = await TestEnvironment.CreateDatabaseAsync(_database);
        var httpPort = TestEnvironment.FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{httpPort}");
        _environment["CORRAL_POSTGRES"] = connectionString;
        _environment["CORRAL_CLUSTER_ID"] = _database;
        _environment["SERVICE_EXAMPLE_RUNS_PER_USER"] = "5";
        _environment["SERVICE_TIGHT_RUNS_PER_USER"] = "1";
        // A capped service whose limits the run-time limits test changes through the API.
        _environment["SERVICE_LIVELIMITS_RUNS_PER_USER"] = "1";
        _environment["SERVICE_LIVELIMITS_MAX_RUNS"] = "10";
        // Capped services of 2 (2 per user) for the preemption tests: one preempts, the other does not.
        _environment["SERVICE_PREEMPTIVE_MAX_RUNS"] = "2";
        _environment["SERVICE_PREEMPTIVE_RUNS_PER_USER"] = "2";
        _environment["SERVICE_PREEMPTIVE_PREEMPTION"] = "true";
        _environment["SERVICE_NONPREEMPTIVE_MAX_RUNS"] = "2";
        _environment["SERVICE_NONPREEMPTIVE_RUNS_PER_USER"] = "2";
        // No cap, one run per user, preemption on: a user's high job may take their own low one's place.
        _environment["SERVICE_SELFPREEMPTIVE_RUNS_PER_USER"] = "1";
        _environment["SERVICE_SELFPREEMPTIVE_PREEMPTION"] = "true";
        // The same with a grace of 60 s between SIGTERM and the stop; and with none but what an admin sets at run time.
        _environment["SERVICE_GRACEFUL_RUNS_PER_USER"] = "1";
        _environment["SERVICE_GRACEFUL_PREEMPTION"] = "true";
        _environment["SERVICE_GRACEFUL_PREEMPTION_GRACE_SECONDS"] = "60";
        _environment["SERVICE_SHORTGRACE_RUNS_PER_USER"] = "1";
        _environment["SERVICE_SHORTGRACE_PREEMPTION"] = "true";
        _environment["LOG_QUOTA_PER_JOB_HOUR"] = "20000";
        // Short enough for the worker-lost test, long enough for an agent restart on a busy machine.
        _environment.TryAdd("CORRAL_WORKER_LOST_AFTER_SECONDS", "30");

        Silo = NewSilo();
        Silo.Start();
        HostAgent = StartHostAgent();
        Gateway = Start("gateway", "Gateway", "Corral.Gateway", new()
        {
            ["CORRAL_URL"] = BaseAddress.ToString().TrimEnd('/'),
            ["CORRAL_ADMIN_TOKEN"] = AdminToken,
        });
        await WaitUntilWorkerIsAliveAsync(TimeSpan.FromSeconds(120));
    }

    public virtual async Task DisposeAsync()
    {
        Gateway?.Dispose();
        HostAgent?.Dispose();
        Silo?.Dispose();
        var leftovers = await TestEnvironment.DockerAsync("ps", "-aq", "--filter", $"label=corral.worker={WorkerName}");
        foreach (var id in leftovers.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            await TestEnvironment.DockerAsync("rm", "-f", id);
        }

        // A killed agent leaves the chains of jobs it still ran; its next start would remove them. Only this agent's:
        // the agents of the systems beside this one attach their jobs' chains before their containers exist.
        var macKey = Path.Combine(JobOutputFolder, JobMacKey.FileName);
        if (File.Exists(macKey))
        {
            await TestEnvironment.RemoveStaleEgressChainsAsync(await File.ReadAllBytesAsync(macKey));
        }

        // Output files of containers removed here rather than by the agent.
        if (Directory.Exists(JobOutputFolder))
        {
            Directory.Delete(JobOutputFolder, recursive: true);
        }

        await TestEnvironment.DropDatabaseAsync(_database);
    }

    /// <summary>Kills the core silo with SIGKILL and starts a new one on the same ports.</summary>
    public async Task RestartSiloHardAsync()
    {
        Silo.Kill();
        Silo.Dispose();
        Silo = NewSilo();
        Silo.Start();
        await WaitUntilWorkerIsAliveAsync(TimeSpan.FromSeconds(120));
    }

    /// <summary>Kills the host agent with SIGKILL, as in a crash; its containers keep running.</summary>
    public void KillHostAgent() => HostAgent.Kill();

    /// <summary>Starts a new host agent for the same worker (after <see cref="KillHostAgent"/>).</summary>
    public void RestartHostAgent()
    {
        HostAgent.Dispose();
        HostAgent = StartHostAgent();
    }

    /// <summary>Starts one more gateway process on its own port, for tests of several gateways.</summary>
    public async Task<(ManagedProcess Process, Uri Address)> StartExtraGatewayAsync()
    {
        var address = new Uri($"http://127.0.0.1:{TestEnvironment.FreePort()}");
        var gateway = Start("gateway-2", "Gateway", "Corral.Gateway", new()
        {
            ["CORRAL_URL"] = address.ToString().TrimEnd('/'),
            ["CORRAL_ADMIN_TOKEN"] = AdminToken,
        });
        using var probe = new HttpClient { BaseAddress = address };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !gateway.HasExited)
        {
            try
            {
                if ((await probe.GetAsync("/healthz")).IsSuccessStatusCode)
                {
                    return (gateway, address);
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(250);
        }

        var output = gateway.Output;
        gateway.Dispose();
        throw new TimeoutException("the extra gateway did not answer:\n" + output);
    }

    /// <summary>
    /// Kills the host agent with SIGKILL, as in a crash, and starts a new one for the same worker; returns once the new
    /// one has adopted its containers and is registering.
    /// </summary>
    public async Task RestartHostAgentHardAsync()
    {
        HostAgent.Kill();
        HostAgent.Dispose();
        HostAgent = StartHostAgent();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!HostAgent.Output.Contains("Registering worker", StringComparison.Ordinal))
        {
            if (HostAgent.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"the restarted host agent did not register:\n{Diagnostics()}");
            }

            await Task.Delay(250);
        }
    }

    public HttpClient Client(string? token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    public async Task<string> CreateUserAsync(string prefix)
    {
        var name = prefix + Guid.NewGuid().ToString("N")[..6];
        using var admin = Client(AdminToken);
        var response = await admin.PostAsJsonAsync("/api/users", new { name });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
    }

    /// <summary>Polls a job until <paramref name="done"/> holds; fails with the job and the processes' output.</summary>
    public async Task<JsonObject> WaitForJobAsync(HttpClient client, string id, Func<JsonObject, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonObject? job = null;
        while (DateTime.UtcNow < deadline)
        {
            var response = await client.GetAsync($"/api/jobs/{id}");
            if (response.IsSuccessStatusCode)
            {
                job = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
                if (done(job))
                {
                    return job;
                }
            }

            await Task.Delay(250);
        }

        Assert.Fail($"job {id} did not get there in {timeout}: {job?.ToJsonString()}\n{Diagnostics()}");
        return null!;
    }

    public static Task<JsonObject> Terminal(CorralSystem system, HttpClient client, string id) =>
        system.WaitForJobAsync(client, id, j => j["finishedAt"] is not null, TimeSpan.FromSeconds(90));

    public string Diagnostics() =>
        $"--- silo\n{Tail(Silo.Output)}\n--- hostagent\n{Tail(HostAgent.Output)}\n--- gateway\n{Tail(Gateway.Output)}";

    private ManagedProcess NewSilo()
    {
        _environment.TryAdd("CORRAL_SILO_PORT", TestEnvironment.FreePort().ToString());
        _environment.TryAdd("CORRAL_GATEWAY_PORT", TestEnvironment.FreePort().ToString());
        return new ManagedProcess("silo", TestEnvironment.ProcessPath("Silo", "Corral.Silo"), new Dictionary<string, string>(_environment)
        {
            ["CORRAL_OPS_URL"] = SiloOperations.ToString().TrimEnd('/'),
        });
    }

    /// <summary>Sets a variable every process of this system gets (before <see cref="InitializeAsync"/>).</summary>
    protected void SetSystemVariable(string name, string value) => _environment[name] = value;

    /// <summary>Sets a variable for the host agent only; call before <see cref="InitializeAsync"/>.</summary>
    protected void SetHostAgentVariable(string name, string value) => _hostAgentEnvironment[name] = value;

    private ManagedProcess StartHostAgent() => Start("hostagent", "HostAgent", "Corral.HostAgent", new(_hostAgentEnvironment)
    {
        ["CORRAL_SILO_PORT"] = TestEnvironment.FreePort().ToString(),
        ["CORRAL_GATEWAY_PORT"] = "0",
        ["CORRAL_WORKER_NAME"] = WorkerName,
        ["CORRAL_OPS_URL"] = HostAgentOperations.ToString().TrimEnd('/'),
    });

    /// <summary>Starts one of the system's processes with every process's settings and <paramref name="extra"/> ones.</summary>
    protected ManagedProcess Start(string name, string project, string assembly, Dictionary<string, string> extra)
    {
        var environment = new Dictionary<string, string>(_environment);
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }

        var process = new ManagedProcess(name, TestEnvironment.ProcessPath(project, assembly), environment);
        process.Start();
        return process;
    }

    private async Task WaitUntilWorkerIsAliveAsync(TimeSpan timeout)
    {
        using var admin = Client(AdminToken);
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var process in new[] { Silo, HostAgent, Gateway })
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException(
                        $"{process.Name} exited during start (exit code {process.ExitCode}); its first error:\n{process.FirstError()}\n{Diagnostics()}");
                }
            }

            try
            {
                var workers = await admin.GetFromJsonAsync<JsonArray>("/api/workers");
                if (workers!.Any(w => w!["name"]!.GetValue<string>() == WorkerName && w["alive"]!.GetValue<bool>()))
                {
                    return;
                }
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException or JsonException)
            {
                // Not up yet.
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"worker {WorkerName} did not register in {timeout}:\n{Diagnostics()}");
    }

    private static string Tail(string text) => text.Length > 4000 ? text[^4000..] : text;
}

[CollectionDefinition(Name)]
public sealed class SystemCollection : ICollectionFixture<CorralSystem>
{
    public const string Name = "running system";
}
