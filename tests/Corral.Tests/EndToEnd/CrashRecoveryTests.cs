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
}
