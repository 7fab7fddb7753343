using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;
using static Corral.Tests.EndToEnd.SshSessionTests;

namespace Corral.Tests.EndToEnd;

/// <summary>
/// The seed's test plan on a worker with SSH_MAX_CPU=1.5, SSH_MAX_MEMORY=512Mi, SSH_MAX_PIDS=256 and
/// ENABLE_SSH_GPU_LIMIT=true over four injected GPUs. Limits are checked with `docker inspect` and from inside
/// the session over SSH; GPU containers cannot start here, so GPU sessions are checked up to the create call.
/// </summary>
[Collection(CappedSshCollection.Name)]
public sealed class CappedSshTests(CappedSshSystem system)
{
    [Fact]
    public async Task Workers_ShowTheSshCapsAndTheGpuLimit()
    {
        using var admin = system.Client(system.AdminToken);
        var worker = (await admin.GetFromJsonAsync<JsonArray>("/api/workers"))!.Single(w => w!["name"]!.GetValue<string>() == system.WorkerName)!;
        var caps = worker["sshCaps"]!;
        Assert.Equal((1.5, 512L << 20, 256), (caps["maxCpu"]!.GetValue<double>(), Long(caps, "maxMemoryBytes"), caps["maxPids"]!.GetValue<int>()));
        Assert.True(worker["sshGpuLimit"]!.GetValue<bool>());
        var gpus = worker["capacity"]!["gpus"]!.AsArray();
        Assert.Equal(["GPU-e2e-h100-0", "GPU-e2e-h100-1", "GPU-e2e-a100-2", "GPU-e2e-gh200-3"], gpus.Select(g => g!["id"]!.GetValue<string>()));
        Assert.Equal(0, Long(gpus[3]!, "memoryBytes"));
    }

    [Fact]
    public async Task Capped_SessionGetsTheCaps_AndTheAgentWarnsOfTheClamp()
    {
        using var key = await SshClient.CreateAsync();
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, new
        {
            service = "ssh",
            kind = "ssh",
            sshPublicKey = key.PublicKey,
            resources = new { cpu = 1.5, pids = 4096 },
        });
        var job = await system.WaitForJobAsync(alice, id, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));
        var limits = job["limits"]!;
        Assert.Equal((1.5, 512L << 20, 256), (limits["cpu"]!.GetValue<double>(), Long(limits, "memoryBytes"), limits["pids"]!.GetValue<int>()));

        var inspect = await InspectAsync(id);
        var host = inspect["HostConfig"]!;
        Assert.Equal((1_500_000_000L, 512L << 20, 256L), (Long(host, "NanoCpus"), Long(host, "Memory"), Long(host, "PidsLimit")));
        // No GPU asked on a slicing worker: no GPU at all.
        Assert.Null(host["DeviceRequests"]);
        Assert.DoesNotContain(inspect["Config"]!["Env"]!.AsArray(), e => e!.GetValue<string>().StartsWith("CUDA_VISIBLE_DEVICES=", StringComparison.Ordinal));

        var inside = await key.RunAsync(job, """
            cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max
            echo "cuda=${CUDA_VISIBLE_DEVICES:-none}"
            """);
        Assert.True(inside.ExitCode == 0, inside.Error);
        Assert.Equal(["150000", (512L << 20).ToString(), "256", "cuda=none"], Lines(inside.Output));

        var warning = system.HostAgent.Output.Split('\n').Single(l => l.Contains($"Job {id}: SSH session clamped", StringComparison.Ordinal));
        Assert.Contains("warn: ", warning);
        Assert.EndsWith("pids: asks 4096, SSH_MAX_PIDS is 256", warning.TrimEnd());

        await alice.PostAsync($"/api/jobs/{id}/cancel", null);
        await CorralSystem.Terminal(system, alice, id);
    }

    [Fact]
    public async Task SpecBelowTheCaps_Wins_AndProcShowsIt()
    {
        using var key = await SshClient.CreateAsync();
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, Session(key, cpu: 0.5, memory: "256Mi", pids: 100));
        var job = await system.WaitForJobAsync(alice, id, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));

        var host = (await InspectAsync(id))["HostConfig"]!;
        Assert.Equal((500_000_000L, 256L << 20, 100L), (Long(host, "NanoCpus"), Long(host, "Memory"), Long(host, "PidsLimit")));

        // lxcfs: /proc/meminfo, /proc/cpuinfo and the online CPUs show the session's caps, not the host's.
        var inside = await key.RunAsync(job, """
            cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max
            grep MemTotal /proc/meminfo
            grep -c ^processor /proc/cpuinfo
            cat /sys/devices/system/cpu/online
            """);
        Assert.True(inside.ExitCode == 0, inside.Error);
        Assert.Equal(["50000", (256L << 20).ToString(), "100", "MemTotal:         262144 kB", "1", "0"], Lines(inside.Output));
        Assert.DoesNotContain($"Job {id}: SSH session clamped", system.HostAgent.Output);

        await alice.PostAsync($"/api/jobs/{id}/cancel", null);
        await CorralSystem.Terminal(system, alice, id);
    }

    [Fact]
    public async Task SpecAboveTheCaps_OnTheOnlyWorker_StaysPending_AndNeverStarts()
    {
        using var key = await SshClient.CreateAsync();
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, Session(key, cpu: 2, memory: "1Gi", pids: 64));

        var pending = await system.WaitForJobAsync(alice, id, j => j["message"] is not null, TimeSpan.FromSeconds(30));
        var worker = system.WorkerName;
        Assert.Equal(
            $"no registered worker can satisfy this request: cpu: asks 2, worker '{worker}' allows at most 1.5 (short by 0.5); "
            + $"memory: asks 1 GiB, worker '{worker}' allows at most 512 MiB (short by 512 MiB)",
            pending["message"]!.GetValue<string>());

        // Still waiting a while later, and nothing was ever created for it.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var later = (await alice.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}"))!;
        Assert.Equal(["queued", "pending"], later["history"]!.AsArray().Select(h => h!["status"]!.GetValue<string>()));
        Assert.Equal(string.Empty, await TestEnvironment.DockerAsync("ps", "-aq", "--filter", $"label=corral.job-id={id}"));

        await alice.PostAsync($"/api/jobs/{id}/cancel", null);
    }

    [Fact]
    public async Task GpuSessions_GetTheDevicesTheyAskedFor_OrWaitSayingWhatIsShort()
    {
        using var key = await SshClient.CreateAsync();
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        using var admin = system.Client(system.AdminToken);
        var workers = (await admin.GetFromJsonAsync<JsonArray>("/api/workers"))!;
        var hostMemory = Long(workers.Single(w => w!["name"]!.GetValue<string>() == system.WorkerName)!["capacity"]!, "memoryBytes");

        // Of the devices that qualify, the one with the least memory: the GH200 has none of its own and counts
        // the host's memory (unified memory), so whether it is "smallest" depends on this machine.
        var forFloor = hostMemory >= 50_000_000_000 && hostMemory < 81559L << 20 ? "GPU-e2e-gh200-3" : "GPU-e2e-h100-0";
        var cases = new (JsonObject Gpu, string[] Devices, string Cuda)[]
        {
            (new JsonObject { ["count"] = 2, ["type"] = "H100" }, ["GPU-e2e-h100-0", "GPU-e2e-h100-1"], "0,1"),
            (new JsonObject { ["count"] = 1, ["type"] = "A100" }, ["GPU-e2e-a100-2"], "0"),
            (new JsonObject { ["count"] = 1, ["memory"] = "50G" }, [forFloor], "0"),
            (new JsonObject { ["count"] = 1, ["type"] = "GH200", ["memory"] = "4G" }, ["GPU-e2e-gh200-3"], "0"),
        };
        foreach (var (gpu, devices, cuda) in cases)
        {
            var spec = Session(key, cpu: 0.25, memory: "64Mi", pids: 64);
            spec["resources"]!["gpu"] = gpu;
            var id = await Jobs.SubmitAsync(alice, spec);
            var done = await CorralSystem.Terminal(system, alice, id);
            Assert.Equal(devices, done["limits"]!["gpus"]!.AsArray().Select(g => g!.GetValue<string>()));
            Assert.Equal(cuda, done["limits"]!["cudaVisibleDevices"]!.GetValue<string>());

            // The container was created with exactly those devices; without a GPU here it cannot start.
            Assert.Equal(("failed", "container_error"), (Jobs.Status(done), Jobs.Reason(done)));
            var inspect = await InspectAsync(id);
            var request = inspect["HostConfig"]!["DeviceRequests"]![0]!;
            Assert.Equal("nvidia", request["Driver"]!.GetValue<string>());
            Assert.Equal(devices, request["DeviceIDs"]!.AsArray().Select(d => d!.GetValue<string>()));
            Assert.Contains($"CUDA_VISIBLE_DEVICES={cuda}", inspect["Config"]!["Env"]!.AsArray().Select(e => e!.GetValue<string>()));
        }

        var five = Session(key, cpu: 0.25, memory: "64Mi", pids: 64);
        five["resources"]!["gpu"] = new JsonObject { ["count"] = 5 };
        var fiveId = await Jobs.SubmitAsync(alice, five);
        var pending = await system.WaitForJobAsync(alice, fiveId, j => j["message"] is not null, TimeSpan.FromSeconds(30));
        Assert.Equal(
            $"no registered worker can satisfy this request: gpu: asks 5, worker '{system.WorkerName}' has 4 such device(s) (short by 1)",
            pending["message"]!.GetValue<string>());
        await alice.PostAsync($"/api/jobs/{fiveId}/cancel", null);
    }
}
