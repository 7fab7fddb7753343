using System.Collections.Immutable;
using Corral.Hosting;
using Corral.HostAgent.Containers;
using Corral.HostAgent.Jobs;
using Corral.HostAgent.Logs;
using Corral.Jobs;
using Corral.Workers;
using Xunit;

namespace Corral.Tests.Unit;

/// <summary>What the host agent does with an SSH session launch: its caps, its GPUs and its container.</summary>
public sealed class SshHostAgentTests
{
    private const string Key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDJyM/A8zkquSI6GvkYWFkBpPMt0PrnJLJWK5c1ZOv9m alice@laptop";

    private static readonly SshCaps Caps = new(1.5, 512L << 20, 256);

    private static readonly JobEntry Entry = new("/var/lib/corral/job-output/w1/job.out", "/opt/corral/corral-run", ["/image-entry"]);

    private static readonly ImmutableArray<GpuDevice> HostGpus =
    [
        new(0, "GPU-0", "NVIDIA H100 80GB HBM3", 80L << 30),
        new(1, "GPU-1", "NVIDIA H100 80GB HBM3", 80L << 30),
    ];

    [Fact]
    public void Guard_SpecBelowTheCaps_ChangesNothing()
    {
        var launch = Launch(JobKind.Ssh, new ResourceRequest(0.5, 256L << 20, 100, null), Limits(0.5, 256L << 20, 100));
        var guarded = LaunchGuard.Check(launch, Caps, HostGpus);
        Assert.Equal(launch, guarded.Launch);
        Assert.Empty(guarded.Clamped);
        Assert.Null(guarded.Refusal);
    }

    [Fact]
    public void Guard_SpecAboveTheCaps_ClampsEachAndSaysWhich()
    {
        // A placement made with a stale view of the caps: the host still never goes above its own.
        var launch = Launch(JobKind.Ssh, new ResourceRequest(2, 1L << 30, 4096, null), Limits(2, 1L << 30, 4096));
        var guarded = LaunchGuard.Check(launch, Caps, HostGpus);
        Assert.Equal((1.5, 512L << 20, 256), (guarded.Launch.Limits.Cpu, guarded.Launch.Limits.MemoryBytes, guarded.Launch.Limits.Pids));
        Assert.Equal(
            ["cpu: asks 2, SSH_MAX_CPU is 1.5", "memory: asks 1 GiB, SSH_MAX_MEMORY is 512 MiB", "pids: asks 4096, SSH_MAX_PIDS is 256"],
            guarded.Clamped.ToArray());
    }

    [Fact]
    public void Guard_PidsClampedAtPlacement_IsStillReported()
    {
        // The dispatcher clamps pids to the cap; the spec asked for more, and the operator hears of it.
        var launch = Launch(JobKind.Ssh, new ResourceRequest(null, null, 4096, null), Limits(1, 512L << 20, 256));
        var guarded = LaunchGuard.Check(launch, Caps, HostGpus);
        Assert.Equal(256, guarded.Launch.Limits.Pids);
        Assert.Equal(["pids: asks 4096, SSH_MAX_PIDS is 256"], guarded.Clamped.ToArray());
    }

    [Fact]
    public void Guard_BatchJob_IsNotSubjectToSshCaps()
    {
        var launch = Launch(JobKind.Batch, new ResourceRequest(2, 1L << 30, 4096, null), Limits(2, 1L << 30, 4096));
        Assert.Equal(launch, LaunchGuard.Check(launch, Caps, HostGpus).Launch);
    }

    [Fact]
    public void Guard_GpuJobOnAHostWithoutGpus_IsRefused()
    {
        var launch = Launch(JobKind.Ssh, new ResourceRequest(1, null, null, new GpuRequest(1, null, null)), Limits(1, 1L << 30, 64, ["GPU-0"]));
        Assert.Equal("the job asks for 1 GPU(s) and this worker has none", LaunchGuard.Check(launch, Caps, []).Refusal);
    }

    [Fact]
    public void Guard_GpuJobGivenNoDevices_IsRefused()
    {
        var launch = Launch(JobKind.Ssh, new ResourceRequest(1, null, null, new GpuRequest(1, null, null)), Limits(1, 1L << 30, 64));
        Assert.Equal("the job asks for 1 GPU(s) but was given 0", LaunchGuard.Check(launch, Caps, HostGpus).Refusal);
    }

    [Fact]
    public void Guard_DeviceNotOnThisHost_IsRefused()
    {
        var launch = Launch(JobKind.Batch, new ResourceRequest(1, null, null, new GpuRequest(1, null, null)), Limits(1, 1L << 30, 64, ["GPU-9"]));
        Assert.Equal("GPU(s) GPU-9 are not on this worker (it has GPU-0, GPU-1)", LaunchGuard.Check(launch, Caps, HostGpus).Refusal);
    }

    [Fact]
    public void Container_ForAnSshSession_RunsTheServerUnprivileged_OnAPublishedPort()
    {
        var launch = Launch(JobKind.Ssh, ResourceRequest.None, Limits(1.5, 512L << 20, 256), command: ["sh", "-c", "echo setup"]);
        var parameters = ContainerSpecBuilder.Build(launch, Entry, new SshHostOptions("127.0.0.1", ["/var/lib/lxcfs/proc/meminfo:/proc/meminfo:ro"]));

        Assert.Equal(ContainerSpecBuilder.ContainerUser, parameters.User);
        Assert.Equal(ContainerSpecBuilder.JobUser, parameters.Entrypoint[3]);
        Assert.Equal(["ALL"], parameters.HostConfig.CapDrop);
        Assert.Equal(["no-new-privileges"], parameters.HostConfig.SecurityOpt);
        Assert.Equal((1_500_000_000L, 512L << 20, 256L), (parameters.HostConfig.NanoCPUs, parameters.HostConfig.Memory, parameters.HostConfig.PidsLimit!.Value));
        // The runner starts the SSH entry (not the image's entry point) with the job's command as its arguments.
        Assert.Equal([JobOutputFiles.RunnerInContainer, JobOutputFiles.FileInContainer], parameters.Entrypoint.Take(2));
        Assert.Contains("exec dropbear -F -E -e -s -w -p 2222", SshSession.EntryScript);
        Assert.Equal([.. SshSession.Entrypoint, "sh", "-c", "echo setup"], parameters.Cmd);
        Assert.Contains($"{SshSession.PublicKeyVariable}={Key}", parameters.Env);
        Assert.True(parameters.ExposedPorts.ContainsKey("2222/tcp"));
        var binding = Assert.Single(parameters.HostConfig.PortBindings["2222/tcp"]);
        Assert.Equal(("127.0.0.1", string.Empty), (binding.HostIP, binding.HostPort));
        Assert.Equal(["/var/lib/lxcfs/proc/meminfo:/proc/meminfo:ro"], parameters.HostConfig.Binds);
        Assert.Null(parameters.HostConfig.DeviceRequests);
        Assert.DoesNotContain(parameters.Env, e => e.StartsWith("CUDA_VISIBLE_DEVICES=", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(JobKind.Batch)]
    [InlineData(JobKind.Ssh)]
    public void Container_GoesUnderTheOperatorsCgroupParent_OrTheEnginesDefaultWithoutOne(JobKind kind)
    {
        var launch = Launch(kind, ResourceRequest.None, Limits(1, 1L << 30, 64));

        Assert.Equal("/corral-jobs", ContainerSpecBuilder.Build(launch, Entry, cgroupParent: "/corral-jobs").HostConfig.CgroupParent);
        Assert.Null(ContainerSpecBuilder.Build(launch, Entry).HostConfig.CgroupParent);
    }

    [Fact]
    public void Container_ForAnSshSessionWithoutCommand_RunsOnlyTheServer()
    {
        var parameters = ContainerSpecBuilder.Build(Launch(JobKind.Ssh, ResourceRequest.None, Limits(1, 1L << 30, 64)), Entry);
        Assert.Equal(SshSession.Entrypoint, parameters.Cmd);
        Assert.Equal("127.0.0.1", parameters.HostConfig.PortBindings["2222/tcp"].Single().HostIP);
        Assert.Null(parameters.HostConfig.Binds);
    }

    [Fact]
    public void Container_ForASlicedGpuSession_MountsOnlyItsDevices()
    {
        var limits = new EffectiveLimits(1, 1L << 30, 64, ["GPU-3"], "0", ["GPU-3"]);
        var parameters = ContainerSpecBuilder.Build(Launch(JobKind.Ssh, ResourceRequest.None, limits), Entry);
        var request = Assert.Single(parameters.HostConfig.DeviceRequests);
        Assert.Equal(["GPU-3"], request.DeviceIDs);
        Assert.Equal("nvidia", request.Driver);
        Assert.Contains("CUDA_VISIBLE_DEVICES=0", parameters.Env);
    }

    [Fact]
    public void Container_ForAnUnslicedGpuSession_MountsEveryDevice()
    {
        var limits = new EffectiveLimits(1, 1L << 30, 64, ["GPU-0", "GPU-1", "GPU-2", "GPU-3"], "0,1,2,3", ["GPU-2"]);
        var parameters = ContainerSpecBuilder.Build(Launch(JobKind.Ssh, ResourceRequest.None, limits), Entry);
        Assert.Equal(["GPU-0", "GPU-1", "GPU-2", "GPU-3"], parameters.HostConfig.DeviceRequests.Single().DeviceIDs);
        Assert.Contains("CUDA_VISIBLE_DEVICES=0,1,2,3", parameters.Env);
    }

    [Fact]
    public void Container_TheKeyCannotBeOverriddenThroughEnv()
    {
        var launch = Launch(JobKind.Ssh, ResourceRequest.None, Limits(1, 1L << 30, 64), env: new() { [SshSession.PublicKeyVariable] = "ssh-ed25519 other" });
        var parameters = ContainerSpecBuilder.Build(launch, Entry);
        Assert.Equal([$"{SshSession.PublicKeyVariable}={Key}"], parameters.Env.Where(e => e.StartsWith(SshSession.PublicKeyVariable, StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("10.1.2.3", "10.1.2.3")]
    [InlineData("fd00::5", "fd00::5")]
    [InlineData("localhost", "127.0.0.1")]
    [InlineData("worker7.example.org", "0.0.0.0")]
    public void SshPort_IsPublishedOnTheWorkersAddress(string workerAddress, string bind) =>
        Assert.Equal(bind, ContainerLauncher.BindAddress(workerAddress).ToString());

    private static EffectiveLimits Limits(double cpu, long memory, int pids, ImmutableArray<string>? gpus = null) =>
        new(cpu, memory, pids, gpus ?? [], gpus is null ? null : "0", gpus ?? []);

    private static JobLaunch Launch(
        JobKind kind, ResourceRequest request, EffectiveLimits limits, string[]? command = null, Dictionary<string, string>? env = null) =>
        new("job1", "alice",
            new JobSpec("s", kind == JobKind.Ssh ? "corral/ssh:latest" : "corral/busybox:latest", [.. command ?? []], kind,
                (env ?? []).ToImmutableDictionary(), request, kind == JobKind.Ssh ? Key : null),
            limits, "w1");
}
