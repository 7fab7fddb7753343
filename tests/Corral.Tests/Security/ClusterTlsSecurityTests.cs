using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Corral.Configuration;
using Corral.Tests.EndToEnd;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Xunit;
using JobApi = Corral.Tests.EndToEnd.Jobs;

namespace Corral.Tests.Security;

/// <summary>
/// Issue 19, item 5: the cluster's own ports. With CORRAL_CLUSTER_TLS_CERT every silo and client speaks mutual TLS
/// and accepts only the cluster's certificate; a job cannot even open a TCP connection to the silo or gateway ports,
/// though they listen on the Docker bridge's host address here.
/// </summary>
public sealed class ClusterTlsSecurityTests(ClusterTlsSystem system) : IClassFixture<ClusterTlsSystem>
{
    [Fact]
    public async Task WithTlsOn_TheClusterRunsAJobEndToEnd()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));

        var id = await JobApi.SubmitAsync(alice, JobApi.Shell("echo over-tls"));

        var done = await CorralSystem.Terminal(system, alice, id);
        Assert.Equal("succeeded", JobApi.Status(done));
        Assert.Equal("over-tls\n", await alice.GetStringAsync($"/api/jobs/{id}/logs"));
    }

    [Fact]
    public async Task AClientWithTheClustersCertificate_Joins()
    {
        using var client = NewClient(system.Certificate);

        await client.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));

        await client.StopAsync();
    }

    /// <summary>A client with the certificate joins in well under a second (above); these are refused for 30 seconds.</summary>
    [Fact]
    public async Task AClientWithoutACertificate_CannotJoin()
    {
        using var client = NewClient(certificate: null);

        await Assert.ThrowsAnyAsync<Exception>(() => client.StartAsync().WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task AClientWithAnotherCertificate_CannotJoin()
    {
        using var client = NewClient(ClusterTlsSystem.NewCertificate("corral-cluster"));

        await Assert.ThrowsAnyAsync<Exception>(() => client.StartAsync().WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task AJob_CannotOpenATcpConnectionToTheSiloOrGatewayPorts_WhichTheHostReaches()
    {
        var bridge = system.BridgeAddress;
        foreach (var port in new[] { system.SiloPort, system.GatewayPort })
        {
            using var probe = new TcpClient();
            await probe.ConnectAsync(bridge, port).WaitAsync(TimeSpan.FromSeconds(10));
        }

        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var script = $"nc -w 3 {bridge} {system.SiloPort} </dev/null 2>/dev/null && echo silo-reached || echo silo-blocked; "
            + $"nc -w 3 {bridge} {system.GatewayPort} </dev/null 2>/dev/null && echo gateway-reached || echo gateway-blocked";

        var id = await JobApi.SubmitAsync(alice, JobApi.Shell(script));

        var done = await CorralSystem.Terminal(system, alice, id);
        Assert.Equal("succeeded", JobApi.Status(done));
        Assert.Equal("silo-blocked\ngateway-blocked\n", await alice.GetStringAsync($"/api/jobs/{id}/logs"));
    }

    /// <summary>An Orleans client of the system's cluster, with TLS and the given certificate, or plain TCP without one.</summary>
    private IHost NewClient(X509Certificate2? certificate) =>
        new HostBuilder()
            .UseOrleansClient(client =>
            {
                client.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = system.ClusterId;
                    o.ServiceId = "corral";
                });
                client.UseAdoNetClustering(o =>
                {
                    o.Invariant = ClusterSettings.AdoInvariant;
                    o.ConnectionString = system.ConnectionString;
                });
                if (certificate is not null)
                {
                    // This client trusts any silo: the test is whether the silos let it in.
                    client.UseTls(certificate, o => o.AllowAnyRemoteCertificate());
                }
            })
            .Build();
}
