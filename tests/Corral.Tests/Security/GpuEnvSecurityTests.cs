using System.Collections.Immutable;
using Corral.Hosting;
using Corral.HostAgent.Containers;
using Corral.Jobs;
using Corral.Tests.Unit;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>
/// Issue 19, item 11: NVIDIA_* variables steer the NVIDIA container runtime, so a job that sets
/// NVIDIA_VISIBLE_DEVICES=all (or runs an image that does) could see every GPU on the host. The gateway refuses
/// them by name; the agent drops any that still arrive and hides every GPU from a job that has none.
/// </summary>
public sealed class GpuEnvSecurityTests
{
    private const string Id = "0123456789abcdef0123456789abcdef";
    private static readonly JobEntry Entry = new($"/var/lib/corral/job-output/w1/{Id}.out", "/opt/corral/corral-run", []);

    [Theory]
    [InlineData("NVIDIA_VISIBLE_DEVICES")]
    [InlineData("NVIDIA_DRIVER_CAPABILITIES")]
    [InlineData("NVIDIA_REQUIRE_CUDA")]
    [InlineData("NVIDIA_DISABLE_REQUIRE")]
    [InlineData("NVIDIA_MIG_CONFIG_DEVICES")]
    [InlineData("NVIDIA_")]
    [InlineData("CUDA_VISIBLE_DEVICES")]
    public void Gateway_RefusesPlatformGpuVariables_NamingThem(string name)
    {
        var (spec, errors) = JobSpecBinding.Parse($$"""{ "service": "s", "command": ["true"], "env": { "A": "1", "{{name}}": "all" } }""");
        Assert.Null(spec);
        Assert.Equal([$"env.{name}"], errors.Keys);
        Assert.Contains("set by the platform", errors[$"env.{name}"][0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("NVIDIA")]
    [InlineData("MY_NVIDIA_VISIBLE_DEVICES")]
    [InlineData("nvidia_visible_devices")]
    [InlineData("CUDA_DEVICE_ORDER")]
    public void Gateway_AcceptsLookalikes_ThatNoRuntimeReads(string name)
    {
        var (spec, errors) = JobSpecBinding.Parse($$"""{ "service": "s", "command": ["true"], "env": { "{{name}}": "all" } }""");
        Assert.Empty(errors);
        Assert.Equal("all", spec!.Env[name]);
    }

    [Fact]
    public void Agent_DropsUserNvidiaVariables_AndHidesEveryGpu_FromAJobWithoutGpus()
    {
        var env = Env(("NVIDIA_VISIBLE_DEVICES", "all"), ("NVIDIA_DRIVER_CAPABILITIES", "all"), ("CUDA_VISIBLE_DEVICES", "0"), ("A", "1"));
        var parameters = ContainerSpecBuilder.Build(Launch(env, new EffectiveLimits(1, 1L << 30, 64, [], null, [])), Entry);

        Assert.Equal(["NVIDIA_VISIBLE_DEVICES=void"], parameters.Env.Where(e => e.StartsWith("NVIDIA_", StringComparison.Ordinal)));
        Assert.DoesNotContain(parameters.Env, e => e.StartsWith("CUDA_VISIBLE_DEVICES=", StringComparison.Ordinal));
        Assert.Contains("A=1", parameters.Env);
        Assert.Null(parameters.HostConfig.DeviceRequests);
    }

    [Fact]
    public void Agent_AJobWithoutEnvOrGpus_StillGetsVoid_SoAnImagesOwnSettingIsOverridden() =>
        Assert.Contains("NVIDIA_VISIBLE_DEVICES=void", ContainerSpecBuilder.Build(Launch(Env(), new EffectiveLimits(1, 1L << 30, 64, [], null, [])), Entry).Env);

    [Fact]
    public void Agent_AGpuJob_GetsOnlyItsDevices_WhateverItsEnvSays()
    {
        var env = Env(("NVIDIA_VISIBLE_DEVICES", "all"), ("NVIDIA_DRIVER_CAPABILITIES", "all"), ("CUDA_VISIBLE_DEVICES", "0,1,2,3"));
        var parameters = ContainerSpecBuilder.Build(Launch(env, new EffectiveLimits(1, 1L << 30, 64, ["GPU-b"], "0", ["GPU-b"])), Entry);

        // Docker sets NVIDIA_VISIBLE_DEVICES from the device request; the job's own never reaches the container.
        Assert.DoesNotContain(parameters.Env, e => e.StartsWith("NVIDIA_", StringComparison.Ordinal));
        Assert.Equal(["CUDA_VISIBLE_DEVICES=0"], parameters.Env.Where(e => e.StartsWith("CUDA_VISIBLE_DEVICES=", StringComparison.Ordinal)));
        Assert.Equal(["GPU-b"], parameters.HostConfig.DeviceRequests.Single().DeviceIDs);
    }

    private static ImmutableDictionary<string, string> Env(params (string Name, string Value)[] entries) =>
        entries.ToImmutableDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal);

    private static JobLaunch Launch(ImmutableDictionary<string, string> env, EffectiveLimits limits) =>
        new(Id, "alice", new JobSpec("s", "corral/busybox:latest", ["true"], JobKind.Batch, env, ResourceRequest.None, null), limits, "w1");
}
