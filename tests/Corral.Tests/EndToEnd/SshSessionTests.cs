using System.Text.Json.Nodes;
using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>
/// SSH sessions on a worker without SSH caps: a plain OpenSSH client logs in, the limits show both in
/// `docker inspect` and in the cgroup files inside, and what goes wrong inside a session stays inside it.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class SshSessionTests(CorralSystem system)
{
    [Fact]
    public async Task Session_OnAnUncappedWorker_GetsItsSpec_AndTakesOnlyItsKey()
    {
        using var key = await SshClient.CreateAsync();
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, new
        {
            service = "ssh",
            kind = "ssh",
            sshPublicKey = key.PublicKey,
            command = new[] { "sh", "-c", "echo prepared >$HOME/setup" },
            // A dictionary: the client's camelCase naming would rename an anonymous type's property.
            env = new Dictionary<string, string> { ["GREETING"] = "hello" },
            resources = new { cpu = 1.75, memory = "768Mi", pids = 512 },
        });
        var job = await system.WaitForJobAsync(alice, id, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));
        var ssh = job["ssh"]!;
        Assert.Equal(("127.0.0.1", "corral"), (ssh["host"]!.GetValue<string>(), ssh["user"]!.GetValue<string>()));

        // No SSH caps on this worker: the spec is applied as it is, above what the capped worker allows.
        var inspect = await InspectAsync(id);
        var host = inspect["HostConfig"]!;
        Assert.Equal((1_750_000_000L, 768L << 20, 512L), (Long(host, "NanoCpus"), Long(host, "Memory"), Long(host, "PidsLimit")));
        // Started as root with only what the runner needs to become uid 1000 (checked inside below) and drop both.
        Assert.Equal("0:0", inspect["Config"]!["User"]!.GetValue<string>());
        Assert.Equal(["SETUID", "SETGID"], host["CapAdd"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal(["ALL"], host["CapDrop"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Contains("no-new-privileges", host["SecurityOpt"]!.AsArray().Select(c => c!.GetValue<string>()));
        var published = inspect["NetworkSettings"]!["Ports"]!["2222/tcp"]![0]!;
        Assert.Equal("127.0.0.1", published["HostIp"]!.GetValue<string>());
        Assert.Equal(ssh["port"]!.GetValue<int>().ToString(), published["HostPort"]!.GetValue<string>());

        var inside = await key.RunAsync(job, """
            id -u
            cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max
            grep -E '^(CapEff|NoNewPrivs)' /proc/self/status
            echo "$GREETING $(cat $HOME/setup) key=${CORRAL_SSH_PUBLIC_KEY:-unset}"
            """);
        Assert.True(inside.ExitCode == 0, inside.Error);
        Assert.Equal(
            ["1000", "175000", (768L << 20).ToString(), "512", "CapEff:\t0000000000000000", "NoNewPrivs:\t1", "hello prepared key=unset"],
            Lines(inside.Output));

        // An interactive login gets a terminal.
        var terminal = await key.RunAsync(job, "tty", null, "-tt");
        Assert.True(terminal.ExitCode == 0, terminal.Error);
        Assert.StartsWith("/dev/pts/", terminal.Output.Trim());

        // Only the job's key opens it: not another key, not a password, not root.
        using var stranger = await SshClient.CreateAsync();
        var refused = await stranger.RunAsync(job, "true");
        Assert.Equal(255, refused.ExitCode);
        Assert.Contains("Permission denied (publickey)", refused.Error);
        var password = await key.RunAsync(job, "true", null, "-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password,keyboard-interactive");
        Assert.Contains("Permission denied (publickey)", password.Error);
        var asRoot = JsonNode.Parse(job.ToJsonString())!.AsObject();
        asRoot["ssh"]!["user"] = "root";
        Assert.Equal(255, (await key.RunAsync(asRoot, "true")).ExitCode);

        // The server's host key is in the job's log, for users who check it.
        var logs = string.Empty;
        for (var i = 0; i < 40 && !logs.Contains("fingerprint", StringComparison.Ordinal); i++)
        {
            logs = await alice.GetStringAsync($"/api/jobs/{id}/logs");
            await Task.Delay(250);
        }

        Assert.Matches(@"corral-ssh: host key ssh-ed25519 \S+\ncorral-ssh: host key fingerprint SHA256:\S+\n", logs);

        await alice.PostAsync($"/api/jobs/{id}/cancel", null);
        var done = await CorralSystem.Terminal(system, alice, id);
        Assert.Equal(("cancelled", "cancelled_by_user"), (Jobs.Status(done), Jobs.Reason(done)));
    }

    [Fact]
    public async Task ForkBomb_InASession_StaysInsideItsPidsLimit_AndOtherJobsCarryOn()
    {
        using var key = await SshClient.CreateAsync();
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, Session(key, cpu: 0.25, memory: "128Mi", pids: 64));
        var job = await system.WaitForJobAsync(alice, id, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));

        // setsid: in a session of its own, so the bomb outlives the login that started it.
        var started = await key.RunAsync(job, "setsid sh -c 'b() { b | b & }; b' >/dev/null 2>&1 </dev/null &");
        Assert.True(started.ExitCode == 0, started.Error);

        // Seen from the host: the session's pids cgroup refuses forks at 64 and never holds more.
        var cgroup = await PidsCgroupAsync(id);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (ReadCounter(Path.Combine(cgroup, "pids.events"), "max") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the fork bomb never reached the pids limit");
            Assert.True(long.Parse(await File.ReadAllTextAsync(Path.Combine(cgroup, "pids.current"))) <= 64);
            await Task.Delay(200);
        }

        for (var i = 0; i < 10; i++)
        {
            Assert.True(long.Parse(await File.ReadAllTextAsync(Path.Combine(cgroup, "pids.current"))) <= 64);
            await Task.Delay(100);
        }

        // Another job on the same worker runs as usual meanwhile.
        var other = await Jobs.SubmitAsync(alice, Jobs.Shell("echo unaffected"));
        var otherDone = await CorralSystem.Terminal(system, alice, other);
        Assert.Equal("succeeded", Jobs.Status(otherDone));
        Assert.Equal("unaffected\n", await alice.GetStringAsync($"/api/jobs/{other}/logs"));

        await alice.PostAsync($"/api/jobs/{id}/cancel", null);
        Assert.Equal("cancelled", Jobs.Status(await CorralSystem.Terminal(system, alice, id)));
        await WaitUntilGoneAsync(id);
    }

    [Fact]
    public async Task MemoryHog_InASession_EndsItOutOfMemory()
    {
        using var key = await SshClient.CreateAsync();
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, Session(key, cpu: 0.5, memory: "64Mi", pids: 64));
        var job = await system.WaitForJobAsync(alice, id, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));

        var hog = await key.RunAsync(job, "x=a; while true; do x=$x$x; done");
        Assert.NotEqual(0, hog.ExitCode);

        var done = await CorralSystem.Terminal(system, alice, id);
        Assert.Equal(("failed", "out_of_memory"), (Jobs.Status(done), Jobs.Reason(done)));
        await WaitUntilGoneAsync(id);
    }

    [Fact]
    public async Task Session_WithAMaximumDuration_EndsThenAsMaxDurationExceeded()
    {
        using var key = await SshClient.CreateAsync();
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var spec = Session(key, cpu: 0.25, memory: "64Mi", pids: 64);
        // Long enough for the session to greet (running) on a loaded machine first: the limit counts from the
        // container's start, and a session that never greeted within it would end from starting.
        spec["maxDurationSeconds"] = 15;
        var id = await Jobs.SubmitAsync(alice, spec);
        await system.WaitForJobAsync(alice, id, j => Jobs.Status(j) is "running" or "failed", TimeSpan.FromSeconds(60));

        var done = await CorralSystem.Terminal(system, alice, id);
        Assert.Equal(("failed", "max_duration_exceeded"), (Jobs.Status(done), Jobs.Reason(done)));
        Assert.Equal("ran past its maximum duration of 15 s", done["message"]!.GetValue<string>());
        Assert.NotNull(done["startedAt"]);
        var finished = done["finishedAt"]!.GetValue<DateTimeOffset>();
        Assert.InRange((finished - done["submittedAt"]!.GetValue<DateTimeOffset>()).TotalSeconds, 15, 40);
        Assert.InRange((finished - done["startedAt"]!.GetValue<DateTimeOffset>()).TotalSeconds, 0, 27);
        await WaitUntilGoneAsync(id);
    }

    [Fact]
    public async Task Session_CancelledWhileItsAgentIsDown_IsStoppedWhenTheAgentIsBack()
    {
        using var key = await SshClient.CreateAsync();
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, Session(key, cpu: 0.25, memory: "64Mi", pids: 64));
        await system.WaitForJobAsync(alice, id, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));

        system.KillHostAgent();
        // Until the cluster declares the dead silo dead, calls that touch it answer 503: retry, as a client would.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await alice.PostAsync($"/api/jobs/{id}/cancel", null)).StatusCode == System.Net.HttpStatusCode.ServiceUnavailable)
        {
            Assert.True(DateTime.UtcNow < deadline, "cancel kept answering 503");
            await Task.Delay(500);
        }

        Assert.Equal("cancelled", Jobs.Status(await CorralSystem.Terminal(system, alice, id)));
        // Nobody could stop it: a session never ends by itself.
        Assert.NotEqual(string.Empty, await TestEnvironment.DockerAsync("ps", "-q", "--filter", $"label=corral.job-id={id}"));

        // The new agent adopts the container, learns that its job has ended, and stops it.
        system.RestartHostAgent();
        await WaitUntilGoneAsync(id, TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task GpuSession_OnAWorkerWithoutGpus_StaysPending_SayingSo()
    {
        using var key = await SshClient.CreateAsync();
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var spec = Session(key, cpu: 0.25, memory: "64Mi", pids: 64);
        spec["resources"]!["gpu"] = new JsonObject { ["count"] = 1 };
        var id = await Jobs.SubmitAsync(alice, spec);

        var pending = await system.WaitForJobAsync(alice, id, j => j["message"] is not null, TimeSpan.FromSeconds(30));
        Assert.Equal("pending", Jobs.Status(pending));
        Assert.Equal(
            $"no registered worker can satisfy this request: gpu: asks 1, worker '{system.WorkerName}' has no GPUs",
            pending["message"]!.GetValue<string>());
        await alice.PostAsync($"/api/jobs/{id}/cancel", null);
    }

    internal static JsonObject Session(SshClient key, double cpu, string memory, int pids) => new()
    {
        ["service"] = "ssh",
        ["kind"] = "ssh",
        ["sshPublicKey"] = key.PublicKey,
        ["resources"] = new JsonObject { ["cpu"] = cpu, ["memory"] = memory, ["pids"] = pids },
    };

    internal static async Task<JsonNode> InspectAsync(string jobId) =>
        JsonNode.Parse(await TestEnvironment.DockerAsync("inspect", $"corral-{jobId}"))![0]!;

    internal static long Long(JsonNode node, string name) => node[name]!.GetValue<long>();

    internal static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    internal static async Task WaitUntilGoneAsync(string jobId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (await TestEnvironment.DockerAsync("ps", "-aq", "--filter", $"label=corral.job-id={jobId}") != string.Empty)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the container of job {jobId} is still there after {timeout ?? TimeSpan.FromSeconds(30)}");
            await Task.Delay(250);
        }
    }

    /// <summary>The session's pids cgroup on the host (cgroup v1), found from its main process.</summary>
    private static async Task<string> PidsCgroupAsync(string jobId)
    {
        var pid = Long((await InspectAsync(jobId))["State"]!, "Pid");
        var line = (await File.ReadAllLinesAsync($"/proc/{pid}/cgroup")).Single(l => l.Split(':')[1] == "pids");
        return "/sys/fs/cgroup/pids" + line.Split(':')[2];
    }

    private static long ReadCounter(string file, string name) =>
        File.ReadLines(file).Select(l => l.Split(' ')).Where(f => f[0] == name).Select(f => long.Parse(f[1])).Single();
}
