using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Corral.HostAgent;
using Corral.Tests.EndToEnd;
using Npgsql;

namespace Corral.Tests.Fleet;

/// <summary>
/// The whole system (<see cref="CorralSystem"/>: PostgreSQL, a core silo, host agent A on this machine's engine, the
/// gateway) plus worker host B: its own network namespace, its own Docker engine there, and its own host agent
/// started inside the namespace, joined to the same cluster. Every process of host A's side advertises this
/// machine's end of the veth (CORRAL_SILO_ADDRESS), the one address both hosts reach; B reaches the test PostgreSQL
/// (127.0.0.1 only) through a forwarder on that address.
/// </summary>
public sealed class TwoHostSystem : CorralSystem
{
    public const string JobImage = "corral/busybox:latest";

    private TcpForwarder? _postgres;

    /// <summary>Host B's worker name; it sorts after host A's ("e2e-…"), which the test does not rely on.</summary>
    public string WorkerBName { get; } = "fleet-b-" + Guid.NewGuid().ToString("N")[..8];

    public WorkerHostNamespace HostB { get; private set; } = null!;

    public NamespacedDockerEngine EngineB { get; private set; } = null!;

    public ManagedProcess HostAgentB { get; private set; } = null!;

    public Uri HostAgentBOperations { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        try
        {
            HostB = await WorkerHostNamespace.CreateAsync();
            // Every silo (and the gateway's view of them) on the one address that both hosts reach.
            SetSystemVariable("CORRAL_SILO_ADDRESS", HostB.HostAddress.ToString());
            // The lowest allowed (three heartbeats): the test waits for host B to be found lost.
            SetSystemVariable("CORRAL_WORKER_LOST_AFTER_SECONDS", "15");
            EngineB = await NamespacedDockerEngine.StartAsync(HostB);
            await EngineB.CopyImageAsync(JobImage);
            await base.InitializeAsync();
            StartHostAgentB();
            await WaitUntilAliveAsync(WorkerBName, TimeSpan.FromSeconds(120));
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public override async Task DisposeAsync()
    {
        HostAgentB?.Dispose();
        try
        {
            await base.DisposeAsync();
        }
        finally
        {
            if (EngineB is not null)
            {
                await EngineB.DisposeAsync();
            }

            _postgres?.Dispose();
            var outputB = Path.Combine(HostAgentSettings.DefaultJobOutputDirectory, WorkerBName);
            if (Directory.Exists(outputB))
            {
                Directory.Delete(outputB, recursive: true);
            }

            if (HostB is not null)
            {
                await HostB.DisposeAsync();
            }
        }
    }

    /// <summary>SIGKILL of host B's agent, as when host B dies; its containers keep running in its engine.</summary>
    public void KillHostAgentB() => HostAgentB.Kill();

    public string TwoHostDiagnostics() =>
        $"{Diagnostics()}\n--- hostagent B\n{Tail(HostAgentB?.Output ?? "")}\n--- dockerd B\n{Tail(EngineB?.Log ?? "")}";

    /// <summary>The egress chains in the IPv4 filter table of host A (this machine) or host B (its namespace).</summary>
    public Task<string> FirewallOfHostAAsync() => WorkerHostNamespace.RunCheckedAsync("iptables", "-w", "-S");

    public Task<string> FirewallOfHostBAsync() => HostB.ExecAsync("iptables", "-w", "-S");

    public async Task<JsonArray> WorkersAsync()
    {
        using var admin = Client(AdminToken);
        return (await admin.GetFromJsonAsync<JsonArray>("/api/workers"))!;
    }

    private void StartHostAgentB()
    {
        var postgres = new NpgsqlConnectionStringBuilder(ConnectionString);
        var target = new IPEndPoint(
            IPAddress.TryParse(postgres.Host, out var address) ? address : IPAddress.Loopback, postgres.Port);
        _postgres = new TcpForwarder(new IPEndPoint(HostB.HostAddress, 0), target);
        postgres.Host = _postgres.Endpoint.Address.ToString();
        postgres.Port = _postgres.Endpoint.Port;
        HostAgentBOperations = new Uri($"http://{HostB.NamespaceAddress}:{TestEnvironment.FreePort()}");
        HostAgentB = new ManagedProcess("hostagent-b", TestEnvironment.ProcessPath("HostAgent", "Corral.HostAgent"), new Dictionary<string, string>
        {
            ["CORRAL_POSTGRES"] = postgres.ConnectionString,
            // CorralSystem names its cluster after its database.
            ["CORRAL_CLUSTER_ID"] = new NpgsqlConnectionStringBuilder(ConnectionString).Database!,
            ["CORRAL_SILO_ADDRESS"] = HostB.NamespaceAddress.ToString(),
            ["CORRAL_SILO_PORT"] = TestEnvironment.FreePort().ToString(),
            ["CORRAL_GATEWAY_PORT"] = "0",
            ["CORRAL_WORKER_NAME"] = WorkerBName,
            ["CORRAL_WORKER_ADDRESS"] = HostB.NamespaceAddress.ToString(),
            ["CORRAL_OPS_URL"] = HostAgentBOperations.ToString().TrimEnd('/'),
            ["DOCKER_HOST"] = EngineB.Endpoint,
            ["LOG_QUOTA_PER_JOB_HOUR"] = "20000",
        }, HostB.Name);
        HostAgentB.Start();
    }

    private async Task WaitUntilAliveAsync(string worker, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (HostAgentB.HasExited)
            {
                throw new InvalidOperationException(
                    $"host agent B exited during start (exit code {HostAgentB.ExitCode}); its first error:\n{HostAgentB.FirstError()}\n{TwoHostDiagnostics()}");
            }

            try
            {
                if ((await WorkersAsync()).Any(w => w!["name"]!.GetValue<string>() == worker && w["alive"]!.GetValue<bool>()))
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

        throw new TimeoutException($"worker {worker} did not register in {timeout}:\n{TwoHostDiagnostics()}");
    }

    private static string Tail(string text) => text.Length > 4000 ? text[^4000..] : text;
}
