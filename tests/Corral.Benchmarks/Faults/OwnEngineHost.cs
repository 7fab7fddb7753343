using System.Net;
using Corral.Tests.Fleet;
using Npgsql;

namespace Corral.Benchmarks.Faults;

/// <summary>
/// A worker host with a Docker engine the suite may restart (this machine's shared engine it must never touch): a
/// network namespace behind a veth, a dockerd of its own inside it, and the suite's PostgreSQL forwarded onto the
/// veth (it listens on 127.0.0.1 only). The host agent runs inside the namespace; every other process advertises
/// this machine's end of the veth, the one address both sides reach. The same pieces the two-host tests use.
/// </summary>
public sealed class OwnEngineHost : IAsyncDisposable
{
    public const string JobImage = "corral/busybox:latest";

    private OwnEngineHost(WorkerHostNamespace host, NamespacedDockerEngine engine, TcpForwarder postgres)
    {
        Host = host;
        Engine = engine;
        Postgres = postgres;
    }

    public WorkerHostNamespace Host { get; }

    public NamespacedDockerEngine Engine { get; }

    private TcpForwarder Postgres { get; }

    public static async Task<OwnEngineHost> StartAsync(int postgresPort)
    {
        var host = await WorkerHostNamespace.CreateAsync();
        NamespacedDockerEngine? engine = null;
        try
        {
            engine = await NamespacedDockerEngine.StartAsync(host);
            await engine.CopyImageAsync(JobImage);
            var postgres = new TcpForwarder(new IPEndPoint(host.HostAddress, 0), new IPEndPoint(IPAddress.Loopback, postgresPort));
            return new OwnEngineHost(host, engine, postgres);
        }
        catch
        {
            if (engine is not null)
            {
                await engine.DisposeAsync();
            }

            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>What the core silos and gateways need to be reached from inside the namespace.</summary>
    public IReadOnlyDictionary<string, string> ClusterEnvironment => new Dictionary<string, string>
    {
        ["CORRAL_SILO_ADDRESS"] = Host.HostAddress.ToString(),
    };

    /// <summary>The host agent's settings inside the namespace: its engine, its address, the database through the veth.</summary>
    public IReadOnlyDictionary<string, string> AgentEnvironment(string connectionString)
    {
        var postgres = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Host = Postgres.Endpoint.Address.ToString(),
            Port = Postgres.Endpoint.Port,
        };
        return new Dictionary<string, string>
        {
            ["CORRAL_POSTGRES"] = postgres.ConnectionString,
            ["CORRAL_SILO_ADDRESS"] = Host.NamespaceAddress.ToString(),
            ["CORRAL_WORKER_ADDRESS"] = Host.NamespaceAddress.ToString(),
            ["DOCKER_HOST"] = Engine.Endpoint,
        };
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Engine.DisposeAsync();
        }
        finally
        {
            Postgres.Dispose();
            await Host.DisposeAsync();
        }
    }
}
