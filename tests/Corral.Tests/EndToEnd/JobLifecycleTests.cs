using System.Text.Json.Nodes;
using Xunit;

namespace Corral.Tests.EndToEnd;

[Collection(SystemCollection.Name)]
public sealed class JobLifecycleTests(CorralSystem system)
{
    [Fact]
    public async Task SucceedingJob_RunsInACappedUnprivilegedContainer_AndKeepsItsLogs()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, new
        {
            service = "lifecycle",
            image = "corral/busybox:latest",
            command = new[] { "sh", "-c", "printf '\\033[31mred\\033[0m line\\n'; id -u; sleep 3; echo done" },
            resources = new { cpu = 0.5, memory = "96Mi", pids = 128 },
        });

        var running = await system.WaitForJobAsync(alice, id, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));
        var inspect = JsonNode.Parse(await TestEnvironment.DockerAsync("inspect", $"corral-{id}"))![0]!;
        var host = inspect["HostConfig"]!;
        Assert.Equal(500_000_000, host["NanoCpus"]!.GetValue<long>());
        Assert.Equal(96L << 20, host["Memory"]!.GetValue<long>());
        Assert.Equal(128, host["PidsLimit"]!.GetValue<long>());
        Assert.False(host["Privileged"]!.GetValue<bool>());
        Assert.Equal("bridge", host["NetworkMode"]!.GetValue<string>());
        Assert.Equal(["ALL"], host["CapDrop"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Contains("no-new-privileges", host["SecurityOpt"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal(id, inspect["Config"]!["Labels"]!["corral.job-id"]!.GetValue<string>());
        Assert.Equal(system.WorkerName, running["worker"]!.GetValue<string>());

        var done = await CorralSystem.Terminal(system, alice, id);
        Assert.Equal("succeeded", Jobs.Status(done));
        Assert.Equal(0, done["exitCode"]!.GetValue<int>());
        Assert.Null(done["terminationReason"]);
        var logs = await alice.GetStringAsync($"/api/jobs/{id}/logs");
        Assert.Equal("red line\n1000\ndone\n", logs);
        Assert.Equal(logs.Length, done["logBytesTotal"]!.GetValue<long>());
        Assert.Equal(["queued", "pending", "starting", "running", "succeeded"],
            done["history"]!.AsArray().Select(h => h!["status"]!.GetValue<string>()));
        // Its output file goes with its container, which the agent removes right after reporting the end.
        var outputFile = Path.Combine(system.JobOutputFolder, $"{id}.out");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (File.Exists(outputFile) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.False(File.Exists(outputFile), "the job's output file is still on the host 30 s after its end");
    }

    [Fact]
    public async Task TheJobsProgram_RunsUnderTheRunner_WithStdoutAndStderrInTheOrderWritten()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, Jobs.Shell("echo pid $$; echo one; echo two >&2; echo three; ls -l /proc/self/fd/1 >&2"));

        var done = await CorralSystem.Terminal(system, alice, id);

        Assert.Equal("succeeded", Jobs.Status(done));
        var logs = (await alice.GetStringAsync($"/api/jobs/{id}/logs")).Split('\n');
        // The runner is PID 1 and copies the program's stdout and stderr, one pipe, to the output file in order.
        Assert.StartsWith("pid ", logs[0], StringComparison.Ordinal);
        Assert.NotEqual("pid 1", logs[0]);
        Assert.Equal(["one", "two", "three"], logs[1..4]);
        Assert.Contains("/proc/self/fd/1 -> pipe:", logs[4], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACommandThatDoesNotExist_FailsWith127_AndItsLogSaysWhy()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, new { service = "lifecycle", image = "corral/busybox:latest", command = new[] { "no-such-program", "--flag" } });

        var done = await CorralSystem.Terminal(system, alice, id);

        Assert.Equal(("failed", "exit_code", 127), (Jobs.Status(done), Jobs.Reason(done), done["exitCode"]!.GetValue<int>()));
        Assert.Equal("corral-run: cannot run no-such-program: No such file or directory\n", await alice.GetStringAsync($"/api/jobs/{id}/logs"));
    }

    [Fact]
    public async Task FailingJob_EndsFailedWithItsExitCode()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, Jobs.Shell("echo oops >&2; exit 7"));
        var done = await CorralSystem.Terminal(system, alice, id);
        Assert.Equal(("failed", "exit_code", 7), (Jobs.Status(done), Jobs.Reason(done), done["exitCode"]!.GetValue<int>()));
        Assert.Equal("oops\n", await alice.GetStringAsync($"/api/jobs/{id}/logs"));
    }

    [Fact]
    public async Task CancellingARunningJob_StopsItsContainer()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, Jobs.Shell("sleep 600"));
        await system.WaitForJobAsync(alice, id, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));

        var response = await alice.PostAsync($"/api/jobs/{id}/cancel", null);
        response.EnsureSuccessStatusCode();
        var again = await alice.PostAsync($"/api/jobs/{id}/cancel", null);
        again.EnsureSuccessStatusCode();

        var done = await CorralSystem.Terminal(system, alice, id);
        Assert.Equal(("cancelled", "cancelled_by_user"), (Jobs.Status(done), Jobs.Reason(done)));
        await WaitUntilAsync(async () => await TestEnvironment.DockerAsync("ps", "-q", "--filter", $"label=corral.job-id={id}") == string.Empty);
    }

    [Fact]
    public async Task MemoryHog_IsKilled_AndEndsOutOfMemory()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, Jobs.Shell("x=a; while true; do x=$x$x; done", memory: "16Mi"));
        var done = await CorralSystem.Terminal(system, alice, id);
        Assert.Equal(("failed", "out_of_memory"), (Jobs.Status(done), Jobs.Reason(done)));
    }

    [Fact]
    public async Task ChattyJob_OverTheHourlyLogQuota_IsKilled_AndKeepsWhatItWrote()
    {
        // The system runs with LOG_QUOTA_PER_JOB_HOUR=20000.
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, Jobs.Shell("i=0; while true; do i=$((i+1)); printf '\\033[32mline %06d\\033[0m\\n' $i; done"));
        var done = await CorralSystem.Terminal(system, alice, id);
        Assert.Equal(("failed", "log_quota_exceeded"), (Jobs.Status(done), Jobs.Reason(done)));
        var logs = await alice.GetStringAsync($"/api/jobs/{id}/logs");
        Assert.StartsWith("line 000001\nline 000002\n", logs);
        Assert.True(logs.Length > 20000, $"stored {logs.Length} bytes");
        Assert.Equal(logs.Length, done["logBytesTotal"]!.GetValue<long>());
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 30 s");
            await Task.Delay(250);
        }
    }
}
