using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>Batch jobs with a maximum duration, ended by their host agent (issue 18).</summary>
[Collection(SystemCollection.Name)]
public sealed class TimeLimitTests(CorralSystem system)
{
    [Fact]
    public async Task BatchJob_PastItsMaximumDuration_EndsMaxDurationExceeded_AndFreesItsSlot()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, Sleeper("timelimit", 2, sleep: 60));

        var done = await CorralSystem.Terminal(system, alice, id);
        Assert.Equal(("failed", "max_duration_exceeded"), (Jobs.Status(done), Jobs.Reason(done)));
        Assert.Equal("ran past its maximum duration of 2 s", done["message"]!.GetValue<string>());
        var ran = done["finishedAt"]!.GetValue<DateTimeOffset>() - done["startedAt"]!.GetValue<DateTimeOffset>();
        // The agent ends it at 2 s from the container's start; the grain's own check would take 15 s more.
        Assert.InRange(ran.TotalSeconds, 1, 12);
        var quota = (await alice.GetFromJsonAsync<JsonArray>("/api/quotas"))!.Single(q => q!["service"]!.GetValue<string>() == "timelimit")!;
        Assert.Equal(0, quota["running"]!.GetValue<int>());
        await WaitUntilGoneAsync(id);
    }

    [Fact]
    public async Task MaximumDuration_CountsFromTheContainersStart_AcrossAHostAgentRestart()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, Sleeper("timelimit-restart", 30, sleep: 120));
        await system.WaitForJobAsync(alice, id, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(8));

        // The new agent adopts the container halfway through and knows its deadline from the container alone.
        await system.RestartHostAgentHardAsync();

        var done = await CorralSystem.Terminal(system, alice, id);
        Assert.Equal(("failed", "max_duration_exceeded"), (Jobs.Status(done), Jobs.Reason(done)));
        var ran = done["finishedAt"]!.GetValue<DateTimeOffset>() - done["startedAt"]!.GetValue<DateTimeOffset>();
        // Not counted afresh by the new agent (30 s after it adopted: past 38 s), nor left to the grain (45 s). A new
        // agent takes seconds to start on a busy machine, hence a limit well past that.
        Assert.InRange(ran.TotalSeconds, 28, 36);
        await WaitUntilGoneAsync(id);
    }

    private static object Sleeper(string service, int maxDurationSeconds, int sleep) => new
    {
        service,
        image = "corral/busybox:latest",
        command = new[] { "sleep", sleep.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        resources = new { cpu = 0.25, memory = "32Mi", pids = 32 },
        maxDurationSeconds,
    };

    private static async Task WaitUntilGoneAsync(string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await TestEnvironment.DockerAsync("ps", "-aq", "--filter", $"label=corral.job-id={id}") != string.Empty)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the container of job {id} was not removed");
            await Task.Delay(500);
        }
    }
}
