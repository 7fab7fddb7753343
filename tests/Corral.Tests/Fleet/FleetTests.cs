using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;
using JobApi = Corral.Tests.EndToEnd.Jobs;

namespace Corral.Tests.Fleet;

/// <summary>
/// Several core silos and gateways behind one URL (<see cref="FleetSystem"/>: three core silos, a host agent, two
/// gateways and HAProxy with the shipped configuration) keep working when one of them is killed. Each test has its
/// own fleet, since each kills part of it.
/// </summary>
public sealed class FleetTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private readonly FleetSystem _fleet = new();

    public Task InitializeAsync() => _fleet.InitializeAsync();

    public Task DisposeAsync() => _fleet.DisposeAsync();

    [Fact]
    public async Task AGatewayKilled_SubmissionsGoOnThroughTheOneUrl_AndALiveClientReconnectsToTheJobsCurrentStates()
    {
        var token = await _fleet.CreateUserAsync("alice");
        using var http = _fleet.BalancedClient(token);
        await using var live = await ReconnectingLiveClient.ConnectAsync(_fleet.Balancer.Address, token);
        var stuckTo = live.Gateway;
        Assert.True(stuckTo is not null && _fleet.Gateways.ContainsKey(stuckTo), $"no stickiness cookie naming a gateway: {stuckTo}");
        var before = await JobApi.SubmitAsync(http, JobApi.Shell("sleep 3"));
        await WaitAsync(() => live.StatusesOf(before).Contains("running"), $"the live client to see {before} running", live);

        _fleet.Gateways[stuckTo].Kill();

        // At once, before the balancer's health checks notice: every submission is answered at its first try (the
        // balancer tries the other gateway when the dead one refuses the connection, or drops a request it was sent).
        var after = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await SubmitAsync(http, JobApi.Shell("true"), Guid.NewGuid().ToString("N"));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"submit answered {(int)response.StatusCode}: {body}\n{_fleet.FleetDiagnostics()}");
            after.Add(JsonNode.Parse(body)!["id"]!.GetValue<string>());
        }

        await WaitAsync(() => live.Reconnects >= 1, "the live client to reconnect", live);
        Assert.NotEqual(stuckTo, live.Gateway);
        await _fleet.WaitUntilAsync(async () => (await _fleet.Balancer.GatewayStatesAsync())[stuckTo].StartsWith("DOWN", StringComparison.Ordinal), $"{stuckTo} down in the balancer");

        // Reconnected, the client hears every job's current state: the one that ended while it was away, and those
        // submitted meanwhile.
        foreach (var id in after.Prepend(before))
        {
            await WaitAsync(() => live.StatusesOf(id, drops: 1).Contains("succeeded"), $"the reconnected client to see {id} succeeded", live);
            var job = await http.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}");
            Assert.Equal("succeeded", JobApi.Status(job!));
        }
    }

    [Fact]
    public async Task ACoreSiloKilled_RunningJobsStillFinish_AndSubmissionsThroughTheOneUrlGoOn()
    {
        var token = await _fleet.CreateUserAsync("bob");
        using var http = _fleet.BalancedClient(token);
        var running = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            running.Add(await JobApi.SubmitAsync(http, JobApi.Shell("sleep 6")));
        }

        foreach (var id in running)
        {
            await _fleet.WaitForJobAsync(http, id, j => JobApi.Status(j) == "running", Patience);
        }

        _fleet.CoreSilos[0].Kill();

        // A client retries a 503 with the same Idempotency-Key, as the API says; the job is submitted once.
        var submitted = await SubmitUntilAcceptedAsync(http, JobApi.Shell("true"));
        foreach (var id in running.Append(submitted))
        {
            var job = await _fleet.WaitForJobAsync(http, id, j => j["finishedAt"] is not null, Patience);
            Assert.True(JobApi.Status(job) == "succeeded", $"{id}: {job.ToJsonString()}\n{_fleet.FleetDiagnostics()}");
        }
    }

    private async Task<string> SubmitUntilAcceptedAsync(HttpClient http, object spec)
    {
        var key = Guid.NewGuid().ToString("N");
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            using var response = await SubmitAsync(http, spec, key);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                return JsonNode.Parse(body)!["id"]!.GetValue<string>();
            }

            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline,
                $"submit answered {(int)response.StatusCode}: {body}\n{_fleet.FleetDiagnostics()}");
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
    }

    /// <summary>A submission with an Idempotency-Key, as a client that may retry it sends it.</summary>
    private static async Task<HttpResponseMessage> SubmitAsync(HttpClient http, object spec, string idempotencyKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = JsonContent.Create(spec) };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await http.SendAsync(request);
    }

    private async Task WaitAsync(Func<bool> condition, string what, ReconnectingLiveClient live)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited in vain for {what}; seen: {live.Seen()}\n{_fleet.FleetDiagnostics()}");
            await Task.Delay(100);
        }
    }
}
