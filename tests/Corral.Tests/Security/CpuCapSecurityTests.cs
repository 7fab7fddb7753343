using System.Collections.Immutable;
using System.Globalization;
using Corral.Hosting;
using Corral.HostAgent.Containers;
using Corral.HostAgent.Jobs;
using Corral.Jobs;
using Corral.Resources;
using Corral.Tests.Unit;
using Corral.Workers;
using Docker.DotNet.Models;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>
/// Issue 19, item 1: a cpu that rounds to NanoCPUs = 0 runs uncapped (Docker reads 0 as "no limit"). Every spec
/// goes the whole way a real one does (JSON binding, validation, placement, the host's guard, the create
/// parameters): it is either refused naming the field, or its container is capped.
/// </summary>
public sealed class CpuCapSecurityTests
{
    private const string Id = "0123456789abcdef0123456789abcdef";
    private static readonly JobEntry Entry = new($"/var/lib/corral/job-output/w1/{Id}.out", "/opt/corral/corral-run", []);

    public static TheoryData<string> CpuLiterals()
    {
        var data = new TheoryData<string>
        {
            "0", "-0", "0.0", "-1", "1e-10", "1E-10", "4e-10", "5e-10", "4.9999e-10", "1e-9", "5e-324", "-5e-324",
            "2.2250738585072014e-308", "1e-300", "0.001", "0.0099", "0.009999999999", "0.00999999999999999979",
            "0.01", "1e-2", "1E-2", "100e-4", "0.010000000000000001", "0.0100001", "0.5", "1", "1.5", "1023.9999999",
            "1024", "1024.0", "1024.0000000001", "1025", "1e6", "1e308", "1.7976931348623157e308", "1e309", "-1e309",
            "1e400", "-1e400", "123456789012345678901234567890", "NaN", "-NaN", "Infinity", "-Infinity",
            "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "\"1e-10\"", "\"0.01\"", "null", "true", "false", "[]", "[1]",
            "{}", "\"\"",
        };

        // Seeded, so a failure names a literal that fails again: tiny, around the floor, ordinary and huge values.
        var random = new Random(19_001);
        for (var i = 0; i < 200; i++)
        {
            var value = (i % 4) switch
            {
                0 => Math.Pow(10, -330 + (random.NextDouble() * 328)),
                1 => ContainerCaps.MinCpu + ((random.NextDouble() - 0.5) * 1e-6),
                2 => random.NextDouble() * 1100,
                _ => Math.Pow(10, 3 + (random.NextDouble() * 305)),
            };
            var sign = random.Next(8) == 0 ? -1 : 1;
            var format = (i / 4 % 3) switch { 0 => "R", 1 => "E10", _ => "G17" };
            data.Add((sign * value).ToString(format, CultureInfo.InvariantCulture));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CpuLiterals))]
    public void AnyCpu_IsRefusedByName_OrBuildsACappedContainer(string cpu)
    {
        var json = $$"""{ "service": "s", "command": ["true"], "resources": { "cpu": {{cpu}} } }""";
        var (spec, errors) = JobSpecBinding.Parse(json);
        if (spec is null)
        {
            // NaN and Infinity are not JSON at all: the body is refused as such, which stores nothing either.
            var field = Assert.Single(errors.Keys);
            Assert.True(field == "resources.cpu" || errors[field][0].Contains("not valid JSON", StringComparison.Ordinal), $"cpu {cpu}: {field} {errors[field][0]}");
            return;
        }

        var host = BuildHostConfig(spec);
        Assert.True(host.NanoCPUs >= 10_000_000, $"cpu {cpu} built NanoCPUs = {host.NanoCPUs}");
        Assert.True(host.Memory >= ContainerCaps.MinMemoryBytes, $"cpu {cpu} built Memory = {host.Memory}");
        Assert.True(host.PidsLimit >= 1, $"cpu {cpu} built PidsLimit = {host.PidsLimit}");
    }

    public static TheoryData<string> ResourceObjects()
    {
        var data = new TheoryData<string>
        {
            "{}",
            """{ "memory": 0 }""", """{ "memory": 1 }""", """{ "memory": "6Mi" }""", """{ "memory": "5.99Mi" }""",
            """{ "memory": "0.000001Gi" }""", """{ "memory": "1e-10" }""", """{ "memory": -1 }""",
            """{ "pids": 0 }""", """{ "pids": -1 }""", """{ "pids": 1 }""", """{ "pids": 4194304 }""", """{ "pids": 4194305 }""",
            """{ "pids": 2147483648 }""", """{ "pids": 1e-10 }""",
        };
        var random = new Random(19_002);
        for (var i = 0; i < 60; i++)
        {
            var cpu = Math.Pow(10, -12 + (random.NextDouble() * 16)).ToString("R", CultureInfo.InvariantCulture);
            var memory = ((long)Math.Pow(2, random.NextDouble() * 50)).ToString(CultureInfo.InvariantCulture);
            var pids = (random.Next(-2, 10) * random.Next(1, 600_000)).ToString(CultureInfo.InvariantCulture);
            data.Add($$"""{ "cpu": {{cpu}}, "memory": {{memory}}, "pids": {{pids}} }""");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ResourceObjects))]
    public void AnyResources_AreRefusedByName_OrBuildACappedContainer(string resources)
    {
        var (spec, errors) = JobSpecBinding.Parse($$"""{ "service": "s", "command": ["true"], "resources": {{resources}} }""");
        if (spec is null)
        {
            Assert.NotEmpty(errors);
            Assert.All(errors.Keys, field => Assert.StartsWith("resources.", field, StringComparison.Ordinal));
            return;
        }

        var host = BuildHostConfig(spec);
        Assert.True(host.NanoCPUs >= 10_000_000, $"{resources} built NanoCPUs = {host.NanoCPUs}");
        Assert.True(host.Memory >= ContainerCaps.MinMemoryBytes, $"{resources} built Memory = {host.Memory}");
        Assert.Equal(host.Memory, host.MemorySwap);
        Assert.True(host.PidsLimit >= 1, $"{resources} built PidsLimit = {host.PidsLimit}");
    }

    [Fact]
    public void TinyCpu_IsRefused_WithTheMinimumInTheMessage()
    {
        var (spec, errors) = JobSpecBinding.Parse("""{ "service": "s", "command": ["true"], "resources": { "cpu": 1e-10 } }""");
        Assert.Null(spec);
        Assert.Contains("0.01", errors["resources.cpu"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void NoCpu_GetsTheDefaultCpu_NotAnUncappedContainer()
    {
        var (spec, _) = JobSpecBinding.Parse("""{ "service": "s", "command": ["true"] }""");
        Assert.Equal(1_000_000_000, BuildHostConfig(spec!).NanoCPUs);
    }

    [Theory]
    [InlineData(1e-10, 1L << 30, 64)]
    [InlineData(0, 1L << 30, 64)]
    [InlineData(double.NaN, 1L << 30, 64)]
    [InlineData(double.NegativeInfinity, 1L << 30, 64)]
    [InlineData(1, 0, 64)]
    [InlineData(1, 1024, 64)]
    [InlineData(1, 1L << 30, 0)]
    [InlineData(1, 1L << 30, -1)]
    public void UncappedLimits_FromTheCluster_AreRefusedByTheHost(double cpu, long memory, int pids)
    {
        // Whatever a stale or hostile cluster hands the host, it never creates a container without all three caps.
        var launch = new JobLaunch(Id, "alice", Spec(JobKind.Batch), new EffectiveLimits(cpu, memory, pids, [], null, []), "w1");
        Assert.NotNull(LaunchGuard.Check(launch, SshCaps.Uncapped, []).Refusal);
        Assert.Throws<InvalidOperationException>(() => ContainerSpecBuilder.Build(launch, Entry));
    }

    [Fact]
    public void AnSshCapBelowTheFloor_RefusesTheSession_RatherThanRunningItUncapped()
    {
        var launch = new JobLaunch(Id, "alice", Spec(JobKind.Ssh), new EffectiveLimits(1, 1L << 30, 64, [], null, []), "w1");
        var guarded = LaunchGuard.Check(launch, new SshCaps(1e-10, null, null), []);
        Assert.Contains("cpu", guarded.Refusal, StringComparison.Ordinal);
    }

    /// <summary>The container a spec gets on a worker big enough for anything the gateway accepts.</summary>
    private static HostConfig BuildHostConfig(JobSpec spec)
    {
        var worker = new WorkerView("w1", new WorkerCapacity(4096, 1L << 60, []), SshCaps.Uncapped, 0, 0, [], [], true, null,
            [PlacementCheck.Tagged(spec.Image)], "127.0.0.1:11111");
        var fit = PlacementCheck.Check(worker, spec.Kind, spec.Resources, spec.Image);
        Assert.True(fit.Fits, fit.Shortfall);
        var guarded = LaunchGuard.Check(new JobLaunch(Id, "alice", spec, fit.Limits!, "w1"), SshCaps.Uncapped, []);
        Assert.Null(guarded.Refusal);
        return ContainerSpecBuilder.Build(guarded.Launch, Entry).HostConfig;
    }

    private static JobSpec Spec(JobKind kind) =>
        new("s", "corral/busybox:latest", ["true"], kind, ImmutableDictionary<string, string>.Empty, ResourceRequest.None,
            kind == JobKind.Ssh ? "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk" : null);
}
