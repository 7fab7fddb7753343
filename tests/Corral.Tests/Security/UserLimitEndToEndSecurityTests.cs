using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Corral.Tests.EndToEnd;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>
/// Issue 19, items 3 and 9, through the real processes: the gateway's answer to a user at their limits, and a
/// fork bomb held by its pids limit while the agent answers and other jobs run.
/// </summary>
public sealed class UserLimitEndToEndSecurityTests(UserLimitedSystem system) : IClassFixture<UserLimitedSystem>
{
    [Fact]
    public async Task AUserAtTheirLimits_IsAnswered400NamingTheSetting_AndNoJobIsCreated()
    {
        using var user = system.Client(await system.CreateUserAsync("limits"));
        // A new job counts as waiting until admitted: each is let through before the queue is filled.
        foreach (var service in new[] { "second", "third" })
        {
            var id = await EndToEnd.Jobs.SubmitAsync(user, EndToEnd.Jobs.Shell("true", service: service));
            await system.WaitForJobAsync(user, id, j => EndToEnd.Jobs.Status(j) != "queued", TimeSpan.FromSeconds(30));
        }

        var running = await EndToEnd.Jobs.SubmitAsync(user, EndToEnd.Jobs.Shell("sleep 300", service: "slow"));
        await system.WaitForJobAsync(user, running, j => EndToEnd.Jobs.Status(j) != "queued", TimeSpan.FromSeconds(30));
        var tooWide = await RefusalAsync(user, EndToEnd.Jobs.Shell("true", service: "fourth"), "service");
        Assert.Contains($"USER_MAX_SERVICES={UserLimitedSystem.MaxServices}", tooWide);

        var queued = new List<string>();
        for (var i = 0; i < UserLimitedSystem.MaxQueued; i++)
        {
            queued.Add(await EndToEnd.Jobs.SubmitAsync(user, EndToEnd.Jobs.Shell("true", service: "slow")));
        }

        var tooMany = await RefusalAsync(user, EndToEnd.Jobs.Shell("true", service: "slow"), "jobs");
        Assert.Contains($"USER_MAX_QUEUED_JOBS={UserLimitedSystem.MaxQueued}", tooMany);

        // Only the accepted jobs exist: 2 in the other services, 1 running, 2 queued.
        Assert.Equal(5, (await user.GetFromJsonAsync<JsonObject>("/api/jobs"))!["items"]!.AsArray().Count);
        foreach (var id in queued.Append(running))
        {
            await user.PostAsync($"/api/jobs/{id}/cancel", null);
        }
    }

    [Fact]
    public async Task AForkBomb_IsHeldByItsPidsLimit_WhileTheAgentAnswersAndAnotherJobRuns()
    {
        using var admin = system.Client(system.AdminToken);
        var worker = (await admin.GetFromJsonAsync<JsonArray>("/api/workers"))!.Single(w => w!["name"]!.GetValue<string>() == system.WorkerName)!;
        Assert.True(worker["capacity"]!["pids"]!.GetValue<long>() > 0, worker.ToJsonString());

        using var user = system.Client(await system.CreateUserAsync("bomb"));
        var bomb = await EndToEnd.Jobs.SubmitAsync(user, new
        {
            service = "bomb",
            image = "corral/busybox:latest",
            command = new[] { "sh", "-c", "f() { f | f & }; f; sleep 60" },
            resources = new { cpu = 0.25, memory = "64Mi", pids = 64 },
            maxDurationSeconds = 20,
        });
        await system.WaitForJobAsync(user, bomb, j => EndToEnd.Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/workers")).StatusCode);
        var other = await EndToEnd.Jobs.SubmitAsync(user, EndToEnd.Jobs.Shell("echo still-forking", service: "bomb"));
        var otherEnd = await CorralSystem.Terminal(system, user, other);
        Assert.Equal("succeeded", EndToEnd.Jobs.Status(otherEnd));

        var bombEnd = await CorralSystem.Terminal(system, user, bomb);
        Assert.NotEqual("succeeded", EndToEnd.Jobs.Status(bombEnd));
        Assert.Equal(64, bombEnd["limits"]!["pids"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/workers")).StatusCode);
    }

    /// <summary>Submits a spec expected to be refused: 400, the field named, its message returned.</summary>
    private static async Task<string> RefusalAsync(HttpClient client, object spec, string field)
    {
        var response = await client.PostAsJsonAsync("/api/jobs", spec);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"answered {(int)response.StatusCode}: {body}");
        var errors = JsonNode.Parse(body)!["errors"]!;
        Assert.NotNull(errors[field]);
        return errors[field]!.ToJsonString();
    }
}
