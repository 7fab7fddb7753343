using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>
/// Preemption on the running system (a silo over PostgreSQL, a host agent on the Docker engine): services
/// "preemptive" (SERVICE_PREEMPTIVE_PREEMPTION=true) and "nonpreemptive", both capped at 2 with 2 per user, and
/// "selfpreemptive", without a cap, one run per user, preemption on; "graceful" the same with a preemption grace of
/// 60 s (SERVICE_&lt;NAME&gt;_PREEMPTION_GRACE_SECONDS), "shortgrace" with one that an admin sets at run time.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class PreemptionTests(CorralSystem system)
{
    private const int Cap = 2;

    [Fact]
    public async Task AHighJob_InAFullService_StopsTheNewestLowJob_WhichIsRequeued_AndRunsAgainAfterwards()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        using var bob = system.Client(await system.CreateUserAsync("bob"));
        var older = await Jobs.SubmitAsync(alice, Sleep("preemptive", "low", 6));
        await system.WaitForJobAsync(alice, older, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));
        var newer = await Jobs.SubmitAsync(alice, Sleep("preemptive", "low", 6));
        await system.WaitForJobAsync(alice, newer, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));

        var high = await Jobs.SubmitAsync(bob, Sleep("preemptive", "high", 2));

        var requeued = await system.WaitForJobAsync(alice, newer, j => Jobs.Status(j) == "queued", TimeSpan.FromSeconds(30));
        Assert.Equal(2, requeued["attempt"]!.GetValue<int>());
        Assert.Contains($"preempted by job {high} (priority high) in service 'preemptive'; requeued", Notes(requeued));
        await system.WaitForJobAsync(bob, high, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));
        // Its first attempt's container is stopped.
        await WaitUntilAsync(async () => await RunningContainersAsync(newer, attempt: 1) == string.Empty, TimeSpan.FromSeconds(30));

        var ended = new Dictionary<string, JsonObject>
        {
            [older] = await CorralSystem.Terminal(system, alice, older),
            [high] = await CorralSystem.Terminal(system, bob, high),
            [newer] = await CorralSystem.Terminal(system, alice, newer),
        };

        foreach (var (id, job) in ended)
        {
            Assert.True(Jobs.Status(job) == "succeeded", $"{id}: {job.ToJsonString()}");
            Assert.Single(Statuses(job), s => s is "succeeded" or "failed" or "cancelled");
        }

        Assert.Equal(
            ["queued", "pending", "starting", "running", "queued", "pending", "starting", "running", "succeeded"],
            Statuses(ended[newer]));
        Assert.Equal(2, ended[newer]["attempt"]!.GetValue<int>());
        Assert.Equal((1, 0), (ended[newer]["preemptions"]!.GetValue<int>(), ended[older]["preemptions"]!.GetValue<int>()));
        Assert.Equal(["queued", "pending", "starting", "running", "succeeded"], Statuses(ended[older]));
        Assert.True(MostRunningAtOnce(ended.Values) <= Cap, "the histories show more running than the cap");
        // The second attempt ran to its end after the high job had.
        Assert.True(At(ended[newer], "succeeded") > At(ended[high], "succeeded"));
    }

    [Fact]
    public async Task InAServiceWithoutACap_AHighJob_StopsItsOwnUsersLowJob_NotAnotherUsers_AndEachRunsToItsEnd()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        using var bob = system.Client(await system.CreateUserAsync("bob"));
        var low = await Jobs.SubmitAsync(alice, Sleep("selfpreemptive", "low", 6));
        var bobsLow = await Jobs.SubmitAsync(bob, Sleep("selfpreemptive", "low", 6));
        await system.WaitForJobAsync(alice, low, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));
        await system.WaitForJobAsync(bob, bobsLow, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));

        var high = await Jobs.SubmitAsync(alice, Sleep("selfpreemptive", "high", 2));

        var requeued = await system.WaitForJobAsync(alice, low, j => Jobs.Status(j) == "queued", TimeSpan.FromSeconds(30));
        Assert.Contains($"preempted by job {high} (priority high) in service 'selfpreemptive'; requeued", Notes(requeued));
        await system.WaitForJobAsync(alice, high, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));
        await WaitUntilAsync(async () => await RunningContainersAsync(low, attempt: 1) == string.Empty, TimeSpan.FromSeconds(30));

        var ended = new Dictionary<string, JsonObject>
        {
            [high] = await CorralSystem.Terminal(system, alice, high),
            [low] = await CorralSystem.Terminal(system, alice, low),
            [bobsLow] = await CorralSystem.Terminal(system, bob, bobsLow),
        };
        foreach (var (id, job) in ended)
        {
            Assert.True(Jobs.Status(job) == "succeeded", $"{id}: {job.ToJsonString()}");
            Assert.Single(Statuses(job), s => s is "succeeded" or "failed" or "cancelled");
        }

        Assert.Equal(
            ["queued", "pending", "starting", "running", "queued", "pending", "starting", "running", "succeeded"],
            Statuses(ended[low]));
        Assert.Equal((2, 1), (ended[low]["attempt"]!.GetValue<int>(), ended[low]["preemptions"]!.GetValue<int>()));
        Assert.Equal((1, 0), (ended[bobsLow]["attempt"]!.GetValue<int>(), ended[bobsLow]["preemptions"]!.GetValue<int>()));
        Assert.True(MostRunningAtOnce([ended[high], ended[low]]) <= 1, "alice's histories show more running than her quota");
        Assert.True(At(ended[low], "succeeded") > At(ended[high], "succeeded"));
    }

    [Fact]
    public async Task AJobCancelledOnceItWasPreempted_EndsCancelledOnce_ItsContainerGone_AndTheHighJobRuns()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        using var bob = system.Client(await system.CreateUserAsync("bob"));
        var lows = new List<string>();
        for (var i = 0; i < Cap; i++)
        {
            lows.Add(await Jobs.SubmitAsync(alice, Sleep("preemptive", "normal", 60)));
            await system.WaitForJobAsync(alice, lows[^1], j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));
        }

        // Long enough that the victim cannot have its slot back before it is cancelled.
        var high = await Jobs.SubmitAsync(bob, Sleep("preemptive", "high", 5));
        var victim = lows[^1];
        await system.WaitForJobAsync(alice, victim, j => Jobs.Status(j) == "queued", TimeSpan.FromSeconds(30));
        var cancel = await alice.PostAsync($"/api/jobs/{victim}/cancel", null);
        Assert.True(cancel.IsSuccessStatusCode, await cancel.Content.ReadAsStringAsync());

        var cancelled = await CorralSystem.Terminal(system, alice, victim);
        Assert.Equal(["queued", "pending", "starting", "running", "queued", "cancelled"], Statuses(cancelled));
        await WaitUntilAsync(async () => await RunningContainersAsync(victim, attempt: 1) == string.Empty, TimeSpan.FromSeconds(30));
        Assert.Equal("succeeded", Jobs.Status(await CorralSystem.Terminal(system, bob, high)));
        // The other job ran on untouched; it is ended here rather than waited for.
        Assert.Equal("running", Jobs.Status(await system.WaitForJobAsync(alice, lows[0], _ => true, TimeSpan.FromSeconds(5))));
        await alice.PostAsync($"/api/jobs/{lows[0]}/cancel", null);
        Assert.Equal("cancelled", Jobs.Status(await CorralSystem.Terminal(system, alice, lows[0])));
    }

    [Fact]
    public async Task AJobWarnedOfItsPreemption_SavesACheckpoint_AndIsRequeuedAsSoonAsItExits_NotAtTheGracesEnd()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var low = await Jobs.SubmitAsync(alice, Forever("graceful", "trap 'echo checkpoint saved; exit 0' TERM"));
        await system.WaitForJobAsync(alice, low, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));
        await WaitUntilAsync(async () => (await alice.GetStringAsync($"/api/jobs/{low}/logs")).Contains("started", StringComparison.Ordinal), TimeSpan.FromSeconds(30));

        var high = await Jobs.SubmitAsync(alice, Sleep("graceful", "high", 1));

        // Requeued once it exited, well inside its 60 s grace; its output says it saved its work.
        var requeued = await system.WaitForJobAsync(alice, low, j => j["preemptions"]!.GetValue<int>() == 1, TimeSpan.FromSeconds(30));
        Assert.Contains($"preempted by job {high} (priority high) in service 'graceful'; requeued", Notes(requeued));
        Assert.Contains("checkpoint saved", await alice.GetStringAsync($"/api/jobs/{low}/logs"), StringComparison.Ordinal);
        Assert.Equal("succeeded", Jobs.Status(await CorralSystem.Terminal(system, alice, high)));
        var rerun = await system.WaitForJobAsync(alice, low, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));
        Assert.Equal(2, rerun["attempt"]!.GetValue<int>());
        Assert.Equal(["queued", "pending", "starting", "running", "queued", "pending", "starting", "running"], Statuses(rerun));

        await alice.PostAsync($"/api/jobs/{low}/cancel", null);
        Assert.Equal("cancelled", Jobs.Status(await CorralSystem.Terminal(system, alice, low)));
    }

    [Fact]
    public async Task AJobThatIgnoresTheWarning_RunsOnThroughAGraceSetAtRunTime_ThenIsStoppedAndRequeued()
    {
        using var admin = system.Client(system.AdminToken);
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var low = await Jobs.SubmitAsync(alice, Forever("shortgrace", "trap '' TERM"));
        await system.WaitForJobAsync(alice, low, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));
        var set = await admin.PutAsJsonAsync("/api/quotas/services/shortgrace", new { preemptionGraceSeconds = 4 });
        Assert.True(set.IsSuccessStatusCode, await set.Content.ReadAsStringAsync());
        var grace = (await set.Content.ReadFromJsonAsync<JsonObject>())!["preemptionGraceSeconds"]!;
        Assert.Equal((4, "override"), (grace["value"]!.GetValue<int>(), grace["source"]!.GetValue<string>()));

        var highSubmitted = DateTimeOffset.UtcNow;
        var high = await Jobs.SubmitAsync(alice, Sleep("shortgrace", "high", 1));

        // Warned: still running, holding its slot, and its view says what comes.
        var warned = await system.WaitForJobAsync(
            alice, low, j => j["message"]?.GetValue<string>()?.Contains("asked to stop (SIGTERM)", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(30));
        Assert.Equal("running", Jobs.Status(warned));
        Assert.Equal("queued", Jobs.Status(await system.WaitForJobAsync(alice, high, _ => true, TimeSpan.FromSeconds(5))));

        var requeued = await system.WaitForJobAsync(alice, low, j => j["preemptions"]!.GetValue<int>() == 1, TimeSpan.FromSeconds(60));
        // The grace starts once the job is chosen, after the high job's submission (same machine, same clock).
        Assert.True(At(requeued, "queued") - highSubmitted >= TimeSpan.FromSeconds(3.9), "stopped before its grace ended");
        Assert.Equal("succeeded", Jobs.Status(await CorralSystem.Terminal(system, alice, high)));
        // The first attempt's container is gone: SIGKILL, which no trap holds off.
        await WaitUntilAsync(async () => await RunningContainersAsync(low, attempt: 1) == string.Empty, TimeSpan.FromSeconds(30));

        await alice.PostAsync($"/api/jobs/{low}/cancel", null);
        Assert.Equal("cancelled", Jobs.Status(await CorralSystem.Terminal(system, alice, low)));
        (await admin.DeleteAsync("/api/quotas/services/shortgrace")).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task AJobWhosePreemptionIsCalledOffDuringItsGrace_RunsOn()
    {
        using var admin = system.Client(system.AdminToken);
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        (await admin.PutAsJsonAsync("/api/quotas/services/shortgrace", new { preemptionGraceSeconds = 5 })).EnsureSuccessStatusCode();
        try
        {
            var low = await Jobs.SubmitAsync(alice, Forever("shortgrace", "trap '' TERM"));
            await system.WaitForJobAsync(alice, low, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));
            var high = await Jobs.SubmitAsync(alice, Sleep("shortgrace", "high", 1));
            await system.WaitForJobAsync(
                alice, low, j => j["message"]?.GetValue<string>()?.Contains("asked to stop (SIGTERM)", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(30));

            // The job it made way for is gone: at the grace's end the low job runs on, its warning gone from its view.
            (await alice.PostAsync($"/api/jobs/{high}/cancel", null)).EnsureSuccessStatusCode();
            var runsOn = await system.WaitForJobAsync(alice, low, j => j["message"] is null, TimeSpan.FromSeconds(30));
            Assert.Equal(("running", 1, 0), (Jobs.Status(runsOn), runsOn["attempt"]!.GetValue<int>(), runsOn["preemptions"]!.GetValue<int>()));
            Assert.Equal(["queued", "pending", "starting", "running"], Statuses(runsOn));
            Assert.NotEqual(string.Empty, await RunningContainersAsync(low, attempt: 1));

            await alice.PostAsync($"/api/jobs/{low}/cancel", null);
            Assert.Equal("cancelled", Jobs.Status(await CorralSystem.Terminal(system, alice, low)));
        }
        finally
        {
            await admin.DeleteAsync("/api/quotas/services/shortgrace");
        }
    }

    [Fact]
    public async Task WithPreemptionOff_AHighJobWaitsForAFreeSlot_AndNoJobIsStopped()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        using var bob = system.Client(await system.CreateUserAsync("bob"));
        var lows = new List<string>();
        for (var i = 0; i < Cap; i++)
        {
            lows.Add(await Jobs.SubmitAsync(alice, Sleep("nonpreemptive", "low", 5)));
        }

        foreach (var low in lows)
        {
            await system.WaitForJobAsync(alice, low, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));
        }

        var high = await Jobs.SubmitAsync(bob, Sleep("nonpreemptive", "high", 1));
        var waiting = await system.WaitForJobAsync(bob, high, _ => true, TimeSpan.FromSeconds(5));
        Assert.Equal("queued", Jobs.Status(waiting));

        var ended = new List<JsonObject>();
        foreach (var low in lows)
        {
            var job = await CorralSystem.Terminal(system, alice, low);
            Assert.Equal(("succeeded", 1), (Jobs.Status(job), job["attempt"]!.GetValue<int>()));
            Assert.Equal(["queued", "pending", "starting", "running", "succeeded"], Statuses(job));
            ended.Add(job);
        }

        var highDone = await CorralSystem.Terminal(system, bob, high);
        Assert.Equal("succeeded", Jobs.Status(highDone));
        Assert.True(At(highDone, "running") >= ended.Min(j => At(j, "succeeded")), "the high job ran before a slot was free");
    }

    private static object Sleep(string service, string priority, int seconds) => new
    {
        service,
        priority,
        image = "corral/busybox:latest",
        command = new[] { "sh", "-c", $"sleep {seconds}; echo done" },
        resources = new { cpu = 0.1, memory = "32Mi" },
    };

    /// <summary>A low job that prints "started", then runs until stopped, with <paramref name="trap"/> set first.</summary>
    private static object Forever(string service, string trap) => new
    {
        service,
        priority = "low",
        image = "corral/busybox:latest",
        command = new[] { "sh", "-c", $"{trap}; echo started; while true; do sleep 0.2; done" },
        resources = new { cpu = 0.1, memory = "32Mi" },
    };

    private static List<string> Statuses(JsonObject job) =>
        [.. job["history"]!.AsArray().Select(h => h!["status"]!.GetValue<string>())];

    private static IEnumerable<string?> Notes(JsonObject job) =>
        job["history"]!.AsArray().Select(h => h!["message"]?.GetValue<string>());

    private static DateTimeOffset At(JsonObject job, string status) => DateTimeOffset.Parse(
        job["history"]!.AsArray().Last(h => h!["status"]!.GetValue<string>() == status)!["at"]!.GetValue<string>(),
        CultureInfo.InvariantCulture);

    /// <summary>The most jobs whose persisted histories say they held a running spell at one instant.</summary>
    private static int MostRunningAtOnce(IEnumerable<JsonObject> jobs)
    {
        var edges = new List<(DateTimeOffset At, int Change)>();
        foreach (var job in jobs)
        {
            var history = job["history"]!.AsArray()
                .Select(h => (Status: h!["status"]!.GetValue<string>(), At: DateTimeOffset.Parse(h["at"]!.GetValue<string>(), CultureInfo.InvariantCulture)))
                .ToList();
            for (var i = 0; i < history.Count - 1; i++)
            {
                if (history[i].Status == "running")
                {
                    edges.Add((history[i].At, 1));
                    edges.Add((history[i + 1].At, -1));
                }
            }
        }

        // An end and a start at one instant: the end first.
        var most = 0;
        var now = 0;
        foreach (var (_, change) in edges.OrderBy(e => e.At).ThenBy(e => e.Change))
        {
            now += change;
            most = Math.Max(most, now);
        }

        return most;
    }

    private static async Task<string> RunningContainersAsync(string job, int attempt) => (await TestEnvironment.DockerAsync(
        "ps", "-q", "--filter", $"label=corral.job-id={job}", "--filter", $"label=corral.attempt={attempt}")).Trim();

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not so within {timeout}");
            await Task.Delay(250);
        }
    }
}
