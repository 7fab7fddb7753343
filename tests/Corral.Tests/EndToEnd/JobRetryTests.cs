using System.Text.Json.Nodes;
using Xunit;

namespace Corral.Tests.EndToEnd;

[Collection(SystemCollection.Name)]
public sealed class JobRetryTests(CorralSystem system)
{
    [Fact]
    public async Task AJobWithRetry_WhoseAgentIsKilledAndContainerRemoved_RunsAgainUnderItsId_OnTheRestartedWorker()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, new
        {
            service = "retried",
            image = "corral/busybox:latest",
            command = new[] { "sh", "-c", "sleep 3; echo ran to the end" },
            resources = new { cpu = 0.25, memory = "64Mi" },
            retry = new { onWorkerLost = true, maxAttempts = 3 },
        });
        await system.WaitForJobAsync(alice, id, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));

        // The agent dies with the job's container, and the container goes too (a host that rebooted, say).
        system.KillHostAgent();
        await TestEnvironment.DockerAsync("rm", "-f", $"corral-{id}");

        // The system runs with CORRAL_WORKER_LOST_AFTER_SECONDS=30; each job checks on its worker every 10 s.
        var requeued = await system.WaitForJobAsync(alice, id, j => Jobs.Status(j) == "pending" && Attempt(j) == 2, TimeSpan.FromSeconds(90));
        Assert.Null(requeued["finishedAt"]);
        Assert.Contains(Notes(requeued), n => n == $"attempt 2 of 3: worker '{system.WorkerName}' was lost (worker '{system.WorkerName}' stopped reporting)");

        system.RestartHostAgent();

        var done = await CorralSystem.Terminal(system, alice, id);
        Assert.Equal(("succeeded", 2), (Jobs.Status(done), Attempt(done)));
        Assert.Equal(
            ["queued", "pending", "starting", "running", "pending", "starting", "running", "succeeded"],
            done["history"]!.AsArray().Select(h => h!["status"]!.GetValue<string>()));
        Assert.Equal(system.WorkerName, done["worker"]!.GetValue<string>());
        Assert.Equal(new JsonObject { ["onWorkerLost"] = true, ["maxAttempts"] = 3 }.ToJsonString(), done["retry"]!.ToJsonString());
        Assert.Contains("ran to the end", await alice.GetStringAsync($"/api/jobs/{id}/logs"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAgentThatComesBackWithTheFirstAttemptsContainer_EndsIt_AndOnlyTheSecondAttemptReports()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, new
        {
            service = "retried",
            image = "corral/busybox:latest",
            command = new[] { "sh", "-c", "sleep 100; echo finished" },
            resources = new { cpu = 0.25, memory = "64Mi" },
            retry = new { onWorkerLost = true, maxAttempts = 2 },
        });
        await system.WaitForJobAsync(alice, id, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));

        // The agent dies; its container runs on, and the job moves to its second attempt meanwhile.
        system.KillHostAgent();
        await system.WaitForJobAsync(alice, id, j => Jobs.Status(j) == "pending" && Attempt(j) == 2, TimeSpan.FromSeconds(90));

        // The agent comes back and adopts the first attempt's container: it must end it rather than let it finish
        // and report into the second attempt, which then runs on the same worker.
        await system.RestartHostAgentHardAsync();
        var second = await system.WaitForJobAsync(alice, id, j => Jobs.Status(j) == "running" && Attempt(j) == 2, TimeSpan.FromSeconds(90));
        Assert.Single((await TestEnvironment.DockerAsync("ps", "-aq", "--filter", $"label=corral.job-id={id}")).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("2", await TestEnvironment.DockerAsync("inspect", "-f", "{{index .Config.Labels \"corral.attempt\"}}", $"corral-{id}"));

        var done = await system.WaitForJobAsync(alice, id, j => j["finishedAt"] is not null, TimeSpan.FromSeconds(150));
        Assert.Equal(("succeeded", 2), (Jobs.Status(done), Attempt(done)));
        Assert.True(DateTimeOffset.Parse(done["finishedAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)
            - DateTimeOffset.Parse(second["startedAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) >= TimeSpan.FromSeconds(99),
            "the job ended before its second attempt's container could have finished");
        // Killed before its sleep was over, the first attempt's container never printed its line.
        var logs = await alice.GetStringAsync($"/api/jobs/{id}/logs");
        Assert.Single(logs.Split('\n'), line => line == "finished");
    }

    private static int Attempt(JsonObject job) => job["attempt"]!.GetValue<int>();

    private static IEnumerable<string?> Notes(JsonObject job) =>
        job["history"]!.AsArray().Select(h => h!["message"]?.GetValue<string>());
}
