using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Corral.Tests.EndToEnd;
using Xunit;
using JobApi = Corral.Tests.EndToEnd.Jobs;

namespace Corral.Tests.Egress;

/// <summary>
/// Issue 19, item 4, from inside real job containers: what a job may not reach (another job's container, the host
/// itself, a private network that is not allowed, DNS servers other than the configured one) answers nothing, while
/// the public test host, an allowed private network and the configured DNS server are reached, and what is counted
/// is still counted. Every "cannot" is paired with a "can" in the same job, so a broken network cannot pass.
/// </summary>
[Collection(EgressCollection.Name)]
public sealed class NetworkIsolationTests(EgressSystem system)
{
    private ExternalTestHost TestHost => system.TestHost;

    [Fact]
    public async Task AJob_CannotConnectToAnotherJobsContainer_WhichTheHostCanReach()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var listener = await JobApi.SubmitAsync(alice, JobApi.Shell("nc -l -p 7000; echo listener-done", service: "egress"));
        await system.WaitForJobAsync(alice, listener, j => JobApi.Status(j) == "running", TimeSpan.FromSeconds(60));
        var address = IPAddress.Parse(await TestEnvironment.DockerAsync(
            "inspect", "--format", "{{.NetworkSettings.IPAddress}}", await ContainerOfAsync(listener)));

        var intruder = await JobApi.SubmitAsync(alice, JobApi.Shell($"echo from-job | nc -w 3 {address} 7000 2>/dev/null && echo reached || echo blocked", service: "egress"));
        var intruderDone = await CorralSystem.Terminal(system, alice, intruder);

        await AssertLogsAsync(alice, intruder, intruderDone, "blocked\n");
        // The listener was there all along: the host reaches it, and it received only what the host sent.
        await SendFromHostAsync(address, 7000, "from-host\n");
        var listenerDone = await CorralSystem.Terminal(system, alice, listener);
        await AssertLogsAsync(alice, listener, listenerDone, "from-host\nlistener-done\n");
    }

    [Fact]
    public async Task AJob_CannotConnectToTheHost_OnItsBridgeAddress_ButReachesThePublicTestHost()
    {
        var bridge = await Security.ClusterTlsSystem.DockerBridgeAddressAsync();
        var hostPort = TestEnvironment.FreePort();
        using var onHost = ListenOnHost(bridge, hostPort);
        using var sink = TestHost.Listen(9101);
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var script = $"echo secret | nc -w 3 {bridge} {hostPort} 2>/dev/null && echo host-reached || echo host-blocked; "
            + $"head -c 50000 /dev/zero | nc -w 10 {TestHost.MeteredV4} 9101 && echo public-reached";

        var id = await JobApi.SubmitAsync(alice, JobApi.Shell(script, service: "egress"));
        var done = await CorralSystem.Terminal(system, alice, id);

        await AssertLogsAsync(alice, id, done, "host-blocked\npublic-reached\n");
        Assert.Equal(0, onHost.Received);
        await sink.WaitForAsync(n => n == 50_000, TimeSpan.FromSeconds(10));
        Assert.InRange(Egress(done), 50_000, 60_000);
    }

    [Fact]
    public async Task AJob_CannotReachAPrivateNetworkThatIsNotAllowed_ButReachesTheAllowedOne_Free_AndThePublicOne_Counted()
    {
        using var sink = TestHost.Listen(9102);
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var script = string.Join("; ", new[]
        {
            Try(TestHost.PrivateV4, 9102, "private4"),
            Try(TestHost.PrivateV6, 9102, "private6"),
            Try(TestHost.ExcludedV4, 9102, "allowed4"),
            Try(TestHost.ExcludedV6, 9102, "allowed6"),
            Try(TestHost.MeteredV4, 9102, "public4"),
        });

        var id = await JobApi.SubmitAsync(alice, JobApi.Shell(script, service: "egress"));
        var done = await CorralSystem.Terminal(system, alice, id);

        await AssertLogsAsync(alice, id, done, "private4 blocked\nprivate6 blocked\nallowed4 reached\nallowed6 reached\npublic4 reached\n");
        // Three of the five sends arrived; only the public one is counted (the allowed network is excluded).
        await sink.WaitForAsync(n => n == 3 * 100_000, TimeSpan.FromSeconds(10));
        Assert.InRange(Egress(done), 100_000, 115_000);
    }

    [Fact]
    public async Task DnsGoesOnlyToTheConfiguredServer_AndIsCounted()
    {
        using var dns = TestHost.Listen(53);
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        // JOB_DNS_SERVERS is the test host's metered IPv4 address; its other addresses answer on port 53 too.
        var script = string.Join("; ", new[]
        {
            Try(TestHost.MeteredV6, 53, "public-not-a-resolver"),
            Try(TestHost.ExcludedV4, 53, "allowed-not-a-resolver"),
            Try(TestHost.MeteredV4, 53, "resolver"),
        });

        var id = await JobApi.SubmitAsync(alice, JobApi.Shell(script, service: "egress"));
        var done = await CorralSystem.Terminal(system, alice, id);

        await AssertLogsAsync(alice, id, done, "public-not-a-resolver blocked\nallowed-not-a-resolver blocked\nresolver reached\n");
        await dns.WaitForAsync(n => n == 100_000, TimeSpan.FromSeconds(10));
        Assert.InRange(Egress(done), 100_000, 115_000);
    }

    /// <summary>Sends 100 kB to an address and prints whether it got through.</summary>
    private static string Try(IPAddress address, int port, string label) =>
        $"head -c 100000 /dev/zero | nc -w 3 {address} {port} 2>/dev/null && echo '{label} reached' || echo '{label} blocked'";

    private static async Task<string> ContainerOfAsync(string jobId) =>
        await TestEnvironment.DockerAsync("ps", "-q", "--filter", $"label=corral.job-id={jobId}");

    private static async Task SendFromHostAsync(IPAddress address, int port, string text)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(address, port).WaitAsync(TimeSpan.FromSeconds(10));
        await client.GetStream().WriteAsync(System.Text.Encoding.ASCII.GetBytes(text));
        client.Client.Shutdown(SocketShutdown.Send);
    }

    private static TcpSink ListenOnHost(IPAddress address, int port)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(address, port));
        socket.Listen();
        return new TcpSink(socket);
    }

    /// <summary>
    /// Asserts that the job succeeded and that its logs come to be <paramref name="expected"/> (the pump stores them
    /// in batches, so they may lag the job's end a little).
    /// </summary>
    private async Task AssertLogsAsync(HttpClient client, string id, JsonObject done, string expected)
    {
        Assert.Equal("succeeded", JobApi.Status(done));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var logs = "";
        while (DateTime.UtcNow < deadline && logs != expected)
        {
            await Task.Delay(250);
            logs = await client.GetStringAsync($"/api/jobs/{id}/logs");
        }

        Assert.True(logs == expected, $"logs: {logs}\n{system.Diagnostics()}");
    }

    private static long Egress(JsonObject job) => job["egressBytes"]!.GetValue<long>();
}
