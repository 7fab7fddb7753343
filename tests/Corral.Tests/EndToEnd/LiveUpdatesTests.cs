using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Corral.Jobs;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Corral.Tests.EndToEnd;

[Collection(SystemCollection.Name)]
public sealed class LiveUpdatesTests(CorralSystem system)
{
    private static readonly string[] Life = ["queued", "pending", "starting", "running", "succeeded"];

    [Fact]
    public async Task JobEvents_ArriveInOrder_AndOnlyToTheirOwner()
    {
        var aliceToken = await system.CreateUserAsync("alice");
        await using var alice = await LiveClient.ConnectAsync(system.BaseAddress, aliceToken);
        await using var bob = await LiveClient.ConnectAsync(system.BaseAddress, await system.CreateUserAsync("bob"));
        using var http = system.Client(aliceToken);

        var id = await Jobs.SubmitAsync(http, Jobs.Shell("sleep 1; echo hi"));
        await alice.WaitForAsync(c => c.StatusesOf(id).Contains("succeeded"), TimeSpan.FromSeconds(60));

        var seen = alice.StatusesOf(id).Distinct().ToList();
        Assert.Equal("succeeded", seen[^1]);
        // Never backwards: every status seen comes later in the life than the one before it.
        Assert.True(seen.Select(s => Array.IndexOf(Life, s)).Zip(seen.Select(s => Array.IndexOf(Life, s)).Skip(1)).All(p => p.First < p.Second),
            string.Join(",", alice.StatusesOf(id)));
        Assert.Contains("running", seen);
        Assert.Contains(alice.Quotas, q => q["service"]!.GetValue<string>() == "lifecycle");
        await Task.Delay(500);
        Assert.DoesNotContain(bob.Jobs, j => j["id"]!.GetValue<string>() == id);
        Assert.DoesNotContain(bob.Quotas, q => q["service"]!.GetValue<string>() == "lifecycle");
    }

    [Fact]
    public async Task AJobLeftWaiting_IsAnnounced_AndItsQueuePositionMovesUpLive()
    {
        // Service "tight" allows one run per user: the second and third jobs wait, second and third in line.
        var token = await system.CreateUserAsync("alice");
        await using var alice = await LiveClient.ConnectAsync(system.BaseAddress, token);
        using var http = system.Client(token);
        var running = await Jobs.SubmitAsync(http, Jobs.Shell("sleep 600", "tight"));
        var first = await Jobs.SubmitAsync(http, Jobs.Shell("sleep 600", "tight"));
        var second = await Jobs.SubmitAsync(http, Jobs.Shell("sleep 600", "tight"));
        try
        {
            await alice.WaitForAsync(c => PositionOf(c, first) == 1 && PositionOf(c, second) == 2, TimeSpan.FromSeconds(30));
            Assert.Equal(["queued"], alice.StatusesOf(second).Distinct());

            // The first job leaves: the first waiting one is admitted, the other moves up, and both are told. The
            // admitted one may be shown straight at starting (its view's history holds the pending step).
            await http.PostAsync($"/api/jobs/{running}/cancel", null);
            await alice.WaitForAsync(c => PositionOf(c, second) == 1 && c.StatusesOf(first).Any(s => s != "queued"), TimeSpan.FromSeconds(30));

            // A waiting job cancelled ahead of others moves them up too.
            var third = await Jobs.SubmitAsync(http, Jobs.Shell("sleep 600", "tight"));
            await alice.WaitForAsync(c => PositionOf(c, third) == 2, TimeSpan.FromSeconds(30));
            await http.PostAsync($"/api/jobs/{second}/cancel", null);
            await alice.WaitForAsync(c => PositionOf(c, third) == 1, TimeSpan.FromSeconds(30));
            await http.PostAsync($"/api/jobs/{third}/cancel", null);
        }
        finally
        {
            foreach (var id in new[] { running, first, second })
            {
                await http.PostAsync($"/api/jobs/{id}/cancel", null);
            }
        }
    }

    /// <summary>The queue position in the latest view of the job this client received, if it is still queued.</summary>
    private static int? PositionOf(LiveClient client, string jobId) =>
        client.Jobs.LastOrDefault(j => j["id"]!.GetValue<string>() == jobId) is { } job && Jobs.Status(job) == "queued"
            ? job["queuePosition"]?.GetValue<int>()
            : null;

    [Fact]
    public async Task AClientThatConnectsLater_GetsTheCurrentState()
    {
        var token = await system.CreateUserAsync("alice");
        using var http = system.Client(token);
        var id = await Jobs.SubmitAsync(http, Jobs.Shell("exit 3"));
        await CorralSystem.Terminal(system, http, id);

        await using var late = await LiveClient.ConnectAsync(system.BaseAddress, token);
        await late.WaitForAsync(c => c.StatusesOf(id).Contains("failed"), TimeSpan.FromSeconds(10));
        var job = late.Jobs.Last(j => j["id"]!.GetValue<string>() == id);
        Assert.Equal("exit_code", job["terminationReason"]!.GetValue<string>());
    }

    [Fact]
    public async Task WatchLogs_GivesTheStoredLog_ThenLiveLines_AndRefusesOtherUsersJobs()
    {
        var token = await system.CreateUserAsync("alice");
        using var http = system.Client(token);
        var id = await Jobs.SubmitAsync(http, Jobs.Shell("echo first; sleep 2; for i in 1 2 3; do echo live $i; sleep 1; done"));
        await system.WaitForJobAsync(http, id, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));
        await using var alice = await LiveClient.ConnectAsync(system.BaseAddress, token);

        var snapshot = await alice.Connection.InvokeAsync<JsonObject>("watchLogs", id);
        await CorralSystem.Terminal(system, http, id);
        await alice.WaitForAsync(c => c.Logs.Any(l => l["text"]!.GetValue<string>().Contains("live 3")), TimeSpan.FromSeconds(15));

        // A short log fits the snapshot whole (a long one is its last 256 KiB: see JobLogPagingTests).
        Assert.False(snapshot["hasEarlier"]!.GetValue<bool>());
        Assert.True(snapshot["firstSeq"]!.GetValue<long>() <= 0);

        // The client protocol (the web page does the same): append chunks in seq order; on a gap, read the
        // stored log again with watchLogs. Live chunks must have arrived, and the result must be the stored log.
        var text = snapshot["text"]!.GetValue<string>();
        var lastSeq = snapshot["lastSeq"]!.GetValue<long>();
        foreach (var chunk in alice.Logs.OrderBy(l => l["seq"]!.GetValue<long>()))
        {
            var seq = chunk["seq"]!.GetValue<long>();
            if (seq == lastSeq + 1)
            {
                text += chunk["text"]!.GetValue<string>();
                lastSeq = seq;
            }
            else if (seq > lastSeq + 1)
            {
                var again = await alice.Connection.InvokeAsync<JsonObject>("watchLogs", id);
                (text, lastSeq) = (again["text"]!.GetValue<string>(), again["lastSeq"]!.GetValue<long>());
            }
        }

        Assert.NotEmpty(alice.Logs);
        Assert.Equal(await http.GetStringAsync($"/api/jobs/{id}/logs"), text);

        await using var mallory = await LiveClient.ConnectAsync(system.BaseAddress, await system.CreateUserAsync("mallory"));
        await Assert.ThrowsAsync<HubException>(() => mallory.Connection.InvokeAsync<JsonObject>("watchLogs", id));
    }

    [Fact]
    public async Task TwoGateways_EachDeliverToTheirOwnClients()
    {
        var (extra, address) = await system.StartExtraGatewayAsync();
        using (extra)
        {
            var aliceToken = await system.CreateUserAsync("alice");
            var bobToken = await system.CreateUserAsync("bob");
            await using var alice = await LiveClient.ConnectAsync(system.BaseAddress, aliceToken);
            await using var bob = await LiveClient.ConnectAsync(address, bobToken);
            using var aliceHttp = system.Client(aliceToken);
            using var bobHttp = new HttpClient { BaseAddress = address };
            bobHttp.DefaultRequestHeaders.Authorization = new("Bearer", bobToken);

            var aliceJob = await Jobs.SubmitAsync(aliceHttp, Jobs.Shell("true"));
            var bobJob = await Jobs.SubmitAsync(bobHttp, Jobs.Shell("true"));
            await alice.WaitForAsync(c => c.StatusesOf(aliceJob).Contains("succeeded"), TimeSpan.FromSeconds(60));
            await bob.WaitForAsync(c => c.StatusesOf(bobJob).Contains("succeeded"), TimeSpan.FromSeconds(60));
            Assert.Empty(alice.StatusesOf(bobJob));
            Assert.Empty(bob.StatusesOf(aliceJob));
        }
    }

    [Fact]
    public async Task AMessagePackClient_GetsTheJobViewsTheApiShows()
    {
        var token = await system.CreateUserAsync("alice");
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(system.BaseAddress, "/hubs/jobs"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
            .AddMessagePackProtocol()
            .Build();
        var views = new ConcurrentQueue<JobView>();
        connection.On<JobView>("jobUpdated", views.Enqueue);
        // Refused at the handshake if the gateway did not offer the protocol.
        await connection.StartAsync();
        using var http = system.Client(token);

        var id = await Jobs.SubmitAsync(http, Jobs.Shell("true"));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!views.Any(v => v.Id == id && v.Status == JobStatus.Succeeded))
        {
            Assert.True(DateTime.UtcNow < deadline, "no succeeded view; seen: " + string.Join(", ", views.Select(v => $"{v.Id}:{v.Status}")));
            await Task.Delay(50);
        }

        var last = views.Last(v => v.Id == id);
        var api = await http.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}");
        Assert.Equal("succeeded", api!["status"]!.GetValue<string>());
        Assert.Equal(api["history"]!.AsArray().Count, last.History.Count);
        Assert.Equal(api["history"]!.AsArray()[^1]!["at"]!.GetValue<DateTimeOffset>(), last.History[^1].At);
        Assert.Equal(["sh", "-c", "true"], last.Command);
        Assert.Equal(0, last.ExitCode);
    }

    [Fact]
    public async Task TheHub_RefusesAConnectionWithoutAValidToken()
    {
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => LiveClient.ConnectAsync(system.BaseAddress, "corral_notARealToken000000000000"));
    }
}
