using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Corral.Tests.EndToEnd;

[Collection(SystemCollection.Name)]
public sealed class CrashRecoveryTests(CorralSystem system)
{
    [Fact]
    public async Task CoreSiloKilledWhileAJobRuns_TheJobStillEndsCorrectly_WithItsWholeHistory()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var running = await Jobs.SubmitAsync(alice, Jobs.Shell("echo before; sleep 8; echo after; exit 4", service: "crash"));
        var queued = await Jobs.SubmitAsync(alice, Jobs.Shell("echo second", service: "tight"));
        var waiting = await Jobs.SubmitAsync(alice, Jobs.Shell("echo third", service: "tight"));
        await system.WaitForJobAsync(alice, running, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));

        await system.RestartSiloHardAsync();

        var done = await CorralSystem.Terminal(system, alice, running);
        Assert.Equal(("failed", "exit_code", 4), (Jobs.Status(done), Jobs.Reason(done), done["exitCode"]!.GetValue<int>()));
        Assert.Equal(["queued", "pending", "starting", "running", "failed"],
            done["history"]!.AsArray().Select(h => h!["status"]!.GetValue<string>()));
        Assert.Equal("before\nafter\n", await alice.GetStringAsync($"/api/jobs/{running}/logs"));

        // The tight service (1 run per user) still admits its queue in order after the restart.
        Assert.Equal("succeeded", Jobs.Status(await CorralSystem.Terminal(system, alice, queued)));
        Assert.Equal("succeeded", Jobs.Status(await CorralSystem.Terminal(system, alice, waiting)));
    }

    [Fact]
    public async Task AHostAgentThatDies_LosesItsRunningJob_WithWorkerLost_AndItsRestartRemovesTheContainer()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, Jobs.Shell("sleep 600", service: "lost"));
        await system.WaitForJobAsync(alice, id, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));

        system.KillHostAgent();

        // The system runs with CORRAL_WORKER_LOST_AFTER_SECONDS=30; each job checks on its worker every 10 s.
        var done = await system.WaitForJobAsync(alice, id, j => j["finishedAt"] is not null, TimeSpan.FromSeconds(90));
        Assert.Equal(("failed", "worker_lost"), (Jobs.Status(done), Jobs.Reason(done)));
        var quota = (await alice.GetFromJsonAsync<JsonArray>("/api/quotas"))!.Single(q => q!["service"]!.GetValue<string>() == "lost")!;
        Assert.Equal(0, quota["running"]!.GetValue<int>());

        // The container outlived its agent; the restarted agent adopts it, learns the job ended, and stops it.
        await system.RestartHostAgentHardAsync();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (await TestEnvironment.DockerAsync("ps", "-q", "--filter", $"label=corral.job-id={id}") != string.Empty)
        {
            Assert.True(DateTime.UtcNow < deadline, "the orphaned container was not stopped");
            await Task.Delay(500);
        }

        using var admin = system.Client(system.AdminToken);
        var aliveBy = DateTime.UtcNow.AddSeconds(60);
        while (!(await admin.GetFromJsonAsync<JsonArray>("/api/workers"))!.Any(w => w!["name"]!.GetValue<string>() == system.WorkerName && w["alive"]!.GetValue<bool>()))
        {
            Assert.True(DateTime.UtcNow < aliveBy, "the restarted agent did not register");
            await Task.Delay(500);
        }
    }
}
