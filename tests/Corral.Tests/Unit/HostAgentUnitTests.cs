using System.Collections.Immutable;
using Corral.Hosting;
using Corral.HostAgent.Containers;
using Corral.HostAgent.Hardware;
using Corral.HostAgent.Logs;
using Corral.Jobs;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Corral.Tests.Unit;

public sealed class HostAgentUnitTests
{
    [Fact]
    public void NvidiaSmi_RealOutput_IsParsed()
    {
        var devices = NvidiaSmiParser.Parse("""
            0, GPU-5d6a1f7c-1111-2222-3333-444455556666, NVIDIA H100 80GB HBM3, 81559
            1, GPU-0b1c2d3e-1111-2222-3333-444455556666, NVIDIA GH200 480GB, [N/A]

            """);
        Assert.Equal(2, devices.Length);
        Assert.Equal(81559L * 1024 * 1024, devices[0].MemoryBytes);
        Assert.Equal("NVIDIA GH200 480GB", devices[1].Name);
        Assert.Equal(0, devices[1].MemoryBytes);
    }

    [Fact]
    public void NvidiaSmi_UnexpectedLine_IsAnError() =>
        Assert.Throws<FormatException>(() => NvidiaSmiParser.Parse("garbage"));

    [Fact]
    public void ContainerSpec_IsCappedAndUnprivileged()
    {
        var launch = new JobLaunch("job1", "alice",
            new JobSpec("s", "corral/busybox:latest", ["echo", "hi"], JobKind.Batch,
                ImmutableDictionary<string, string>.Empty.Add("CUDA_VISIBLE_DEVICES", "9").Add("A", "1"),
                ResourceRequest.None, null),
            new EffectiveLimits(1.5, 256L << 20, 64, ["GPU-a", "GPU-b"], "0,1", ["GPU-a", "GPU-b"]), "w1");
        var parameters = ContainerSpecBuilder.Build(launch, new JobEntry("/var/lib/corral/job-output/w1/job1.out", "/opt/corral/corral-run", ["/entry", "--flag"]));
        var host = parameters.HostConfig;
        Assert.Equal(1_500_000_000, host.NanoCPUs);
        Assert.Equal(256L << 20, host.Memory);
        Assert.Equal(256L << 20, host.MemorySwap);
        Assert.Equal(64, host.PidsLimit);
        Assert.Equal(["ALL"], host.CapDrop);
        Assert.Equal(["no-new-privileges"], host.SecurityOpt);
        Assert.False(host.Privileged);
        Assert.Equal("bridge", host.NetworkMode);
        // The container starts as root with the two capabilities the runner needs to become the job user; the job runs
        // as that user with none (the runner's last argument before the program).
        Assert.Equal(ContainerSpecBuilder.ContainerUser, parameters.User);
        Assert.Equal(["SETUID", "SETGID"], host.CapAdd);
        Assert.Equal(ContainerSpecBuilder.JobUser, parameters.Entrypoint[3]);
        Assert.True(host.ReadonlyRootfs);
        Assert.Equal("job1", parameters.Labels[ContainerLabels.JobId]);
        Assert.Equal(["GPU-a", "GPU-b"], host.DeviceRequests.Single().DeviceIDs.ToArray());
        // The user cannot override the device mapping the agent computed.
        Assert.Contains("CUDA_VISIBLE_DEVICES=0,1", parameters.Env);
        Assert.DoesNotContain("CUDA_VISIBLE_DEVICES=9", parameters.Env);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ContainerSpec_ReadOnlyRoot_LeavesOnlyScratchInMemory_SizedByTheMemoryCap(bool readOnlyRoot)
    {
        var launch = new JobLaunch("job1", "alice",
            new JobSpec("s", "corral/busybox:latest", ["true"], JobKind.Batch, ImmutableDictionary<string, string>.Empty, ResourceRequest.None, null),
            new EffectiveLimits(1, 64L << 20, 64, [], null, []), "w1");

        var parameters = ContainerSpecBuilder.Build(launch, new JobEntry("/o/job1.out", "/r", []), readOnlyRoot: readOnlyRoot);

        Assert.Equal(readOnlyRoot, parameters.HostConfig.ReadonlyRootfs);
        string[] expected = readOnlyRoot ? ["/home/corral", "/run", "/tmp", "/var/tmp"] : ["/tmp"];
        Assert.Equal(expected, parameters.HostConfig.Tmpfs.Keys.Order(StringComparer.Ordinal));
        Assert.All(parameters.HostConfig.Tmpfs.Values, options => Assert.Contains($"size={64L << 20}", options, StringComparison.Ordinal));
        Assert.Contains("HOME=/home/corral", parameters.Env);
    }

    [Fact]
    public void ContainerSpec_RunsTheImagesEntryPointAndTheCommand_ThroughTheRunner_IntoTheJobsOutputFile()
    {
        var launch = new JobLaunch("job1", "alice",
            new JobSpec("s", "corral/busybox:latest", ["echo", "hi"], JobKind.Batch, ImmutableDictionary<string, string>.Empty, ResourceRequest.None, null),
            new EffectiveLimits(1, 256L << 20, 64, [], null, []), "w1");

        var parameters = ContainerSpecBuilder.Build(
            launch, new JobEntry("/var/lib/corral/job-output/w1/job1.out", "/opt/corral/corral-run", ["/entry", "--flag"], OutputMaxBytesPerHour: 4096));

        Assert.Equal([JobOutputFiles.RunnerInContainer, JobOutputFiles.FileInContainer, "4096", ContainerSpecBuilder.JobUser], parameters.Entrypoint);
        Assert.Equal(["/entry", "--flag", "echo", "hi"], parameters.Cmd);
        Assert.Equal("/var/lib/corral/job-output/w1/job1.out", parameters.Labels[ContainerLabels.Output]);
        Assert.Collection(
            parameters.HostConfig.Mounts,
            runner => Assert.Equal(("bind", "/opt/corral/corral-run", JobOutputFiles.RunnerInContainer, true), (runner.Type, runner.Source, runner.Target, runner.ReadOnly)),
            output => Assert.Equal(("bind", "/var/lib/corral/job-output/w1/job1.out", JobOutputFiles.FileInContainer, false), (output.Type, output.Source, output.Target, output.ReadOnly)));
    }

    [Fact]
    public void LogQuotaMeter_CountsUntilOverQuota()
    {
        var meter = new LogQuotaMeter(1000, new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 15, 0, TimeSpan.Zero)));
        Assert.False(meter.Add(600));
        Assert.False(meter.Add(400));
        Assert.True(meter.Add(1));
        Assert.Equal(1001, meter.BytesThisHour);
    }

    [Fact]
    public void LogQuotaMeter_StartsAgainAtTheTopOfTheHour()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 59, 59, TimeSpan.Zero));
        var meter = new LogQuotaMeter(1000, clock, bytesThisHour: 900, bytesTotal: 900);
        Assert.False(meter.Add(50));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal((0L, 950L), meter.Snapshot());
        Assert.False(meter.Add(999));
        Assert.True(meter.Add(2));
        Assert.Equal(1951, meter.BytesTotal);
    }

    [Fact]
    public void LogQuotaMeter_ZeroQuota_NeverTrips()
    {
        var meter = new LogQuotaMeter(0, TimeProvider.System);
        Assert.False(meter.Add(long.MaxValue / 2));
    }
}
