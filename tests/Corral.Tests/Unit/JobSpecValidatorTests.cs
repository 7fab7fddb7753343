using System.Text.Json;
using Corral.Gateway.Api.Requests;
using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Unit;

public sealed class JobSpecValidatorTests
{
    [Fact]
    public void Parse_FullSpec_KeepsEveryField()
    {
        var (spec, errors) = Parse("""
            { "service": "Example", "image": "corral/busybox:latest", "command": ["sh", "-c", "echo hi"],
              "kind": "batch", "env": { "A": "1" },
              "resources": { "cpu": 1.5, "memory": "512Mi", "pids": 256, "gpu": { "count": 2, "type": "H100", "memory": "40GB" } } }
            """);
        Assert.Empty(errors);
        Assert.NotNull(spec);
        Assert.Equal("example", spec.Service);
        Assert.Equal(["sh", "-c", "echo hi"], spec.Command.ToArray());
        Assert.Equal("1", spec.Env["A"]);
        Assert.Equal(1.5, spec.Resources.Cpu);
        Assert.Equal(536_870_912L, spec.Resources.MemoryBytes);
        Assert.Equal(256, spec.Resources.Pids);
        Assert.Equal(new GpuRequest(2, "H100", 40_000_000_000L), spec.Resources.Gpu);
    }

    [Theory]
    [InlineData("""{ "service": "s", "command": ["true"], "retry": { "onWorkerLost": true, "maxAttempts": 10 } }""", 10)]
    [InlineData("""{ "service": "s", "command": ["true"], "retry": { "onWorkerLost": true, "maxAttempts": 1 } }""", 1)]
    [InlineData("""{ "service": "s", "command": ["true"], "retry": { "onWorkerLost": true } }""", JobSpecRules.DefaultRetryAttempts)]
    [InlineData("""{ "service": "s", "command": ["true"], "retry": { "onWorkerLost": false, "maxAttempts": 4 } }""", null)]
    [InlineData("""{ "service": "s", "command": ["true"] }""", null)]
    public void Parse_Retry_KeepsTheAttempts_OnlyWhenOnWorkerLost(string json, int? attempts)
    {
        var (spec, errors) = Parse(json);
        Assert.Empty(errors);
        Assert.Equal(attempts is { } n ? new RetryPolicy(true, n) : null, spec!.Retry);
    }

    [Fact]
    public void Parse_NoImageNoResources_UsesTheDefaults()
    {
        var (spec, _) = Parse("""{ "service": "s", "command": ["true"] }""");
        Assert.Equal(JobSpecRules.DefaultImage, spec!.Image);
        Assert.Equal(ResourceDefaults.Cpu, spec.Resources.EffectiveCpu);
        Assert.Equal(ResourceDefaults.MemoryBytes, spec.Resources.EffectiveMemoryBytes);
        Assert.Equal(ResourceDefaults.Pids, spec.Resources.EffectivePids);
    }

    [Theory]
    [InlineData("""{ "command": ["true"] }""", "service")]
    [InlineData("""{ "service": "", "command": ["true"] }""", "service")]
    [InlineData("""{ "service": "a b", "command": ["true"] }""", "service")]
    [InlineData("""{ "service": "s" }""", "command")]
    [InlineData("""{ "service": "s", "command": [] }""", "command")]
    [InlineData("""{ "service": "s", "command": "echo" }""", "command")]
    [InlineData("""{ "service": "s", "command": [1] }""", "command")]
    [InlineData("""{ "service": "s", "command": ["true"], "image": "UPPER:case" }""", "image")]
    [InlineData("""{ "service": "s", "command": ["true"], "kind": "gpu" }""", "kind")]
    [InlineData("""{ "service": "s", "command": ["true"], "resources": { "memory": "12XB" } }""", "resources.memory")]
    [InlineData("""{ "service": "s", "command": ["true"], "resources": { "memory": "1Ki" } }""", "resources.memory")]
    [InlineData("""{ "service": "s", "command": ["true"], "resources": { "memory": true } }""", "resources.memory")]
    [InlineData("""{ "service": "s", "command": ["true"], "resources": { "cpu": 0 } }""", "resources.cpu")]
    [InlineData("""{ "service": "s", "command": ["true"], "resources": { "cpu": -1 } }""", "resources.cpu")]
    [InlineData("""{ "service": "s", "command": ["true"], "resources": { "cpu": "2" } }""", "resources.cpu")]
    [InlineData("""{ "service": "s", "command": ["true"], "resources": { "pids": 0 } }""", "resources.pids")]
    [InlineData("""{ "service": "s", "command": ["true"], "resources": { "pids": 1.5 } }""", "resources.pids")]
    [InlineData("""{ "service": "s", "command": ["true"], "resources": { "gpu": { "count": 0 } } }""", "resources.gpu.count")]
    [InlineData("""{ "service": "s", "command": ["true"], "resources": { "gpu": { "memory": "lots" } } }""", "resources.gpu.memory")]
    [InlineData("""{ "service": "s", "command": ["true"], "resources": { "disk": "1G" } }""", "resources.disk")]
    [InlineData("""{ "service": "s", "command": ["true"], "env": { "1BAD": "x" } }""", "env.1BAD")]
    [InlineData("""{ "service": "s", "command": ["true"], "env": { "A": 1 } }""", "env.A")]
    [InlineData("""{ "service": "s", "command": ["true"], "servce": "typo" }""", "servce")]
    [InlineData("""[1, 2]""", "body")]
    [InlineData("""{ "service": "s", "command": ["true"], "retry": { "onWorkerLost": true, "maxAttempts": 0 } }""", "retry.maxAttempts")]
    [InlineData("""{ "service": "s", "command": ["true"], "retry": { "onWorkerLost": true, "maxAttempts": 11 } }""", "retry.maxAttempts")]
    [InlineData("""{ "service": "s", "command": ["true"], "retry": { "maxAttempts": 2 } }""", "retry.onWorkerLost")]
    [InlineData("""{ "service": "s", "command": ["true"], "retry": { "onWorkerLost": "yes" } }""", "retry.onWorkerLost")]
    [InlineData("""{ "service": "s", "command": ["true"], "retry": { "onExit": true } }""", "retry.onExit")]
    [InlineData("""{ "service": "s", "command": ["true"], "retry": true }""", "retry")]
    public void Parse_BadField_NamesThatField(string json, string field)
    {
        var (spec, errors) = Parse(json);
        Assert.Null(spec);
        Assert.Contains(field, errors.Keys);
    }

    [Fact]
    public void Parse_TwoMegabyteCommand_IsRefusedWithItsSize()
    {
        var big = new string('x', 2 * 1024 * 1024);
        var (spec, errors) = Parse(JsonSerializer.Serialize(new { service = "s", command = new[] { "sh", "-c", big } }));
        Assert.Null(spec);
        Assert.Contains("2097156 bytes", errors["command"][0]);
    }

    [Theory]
    [InlineData("""{ "service": "s", "command": ["true"], "servce": "typo" }""", "servce", "is not a known field (known: service, image, command, kind, env, resources, sshPublicKey, maxDurationSeconds, priority, retry)")]
    [InlineData("""{ "service": "s", "command": ["true"], "resources": { "gpu": { "kind": "H100" } } }""", "resources.gpu.kind", "is not a known field (known: count, type, memory)")]
    [InlineData("""{ "service": "s", "command": ["true"], "resources": { "cpu": "2" } }""", "resources.cpu", JobSpecRules.Cpu)]
    [InlineData("""{ "service": "s", "command": ["true"], "resources": { "pids": 5000000000 } }""", "resources.pids", JobSpecRules.Pids)]
    [InlineData("""{ "service": "s", "command": ["true"], "resources": { "memory": true } }""", "resources.memory", "'true' is not a size")]
    [InlineData("""{ "service": "s", "command": ["true"], "resources": { "memory": "12XB" } }""", "resources.memory", "'12XB' is not a size")]
    [InlineData("""{ "service": "s", "command": ["true"], "resources": { "memory": "1Ki" } }""", "resources.memory", "must be at least 6 MiB")]
    [InlineData("""{ "service": "s", "command": ["true"], "resources": 5 }""", "resources", JobSpecRules.Resources)]
    [InlineData("""{ "service": "s", "command": [1] }""", "command", JobSpecRules.Command)]
    [InlineData("""{ "service": "s", "command": ["true"], "env": { "A": 1 } }""", "env.A", "must be a string")]
    [InlineData("""{ "service": "s", "command": ["true"], "env": { "a.b": [] } }""", "env.a.b", "must be a string")]
    [InlineData("""{ "service": "s", "command": ["true"], "kind": 1 }""", "kind", JobSpecRules.Kind)]
    [InlineData("""{ "service": 5, "command": ["true"] }""", "service", JobSpecRules.Service)]
    [InlineData("""{ "command": ["true"] }""", "service", "is required")]
    [InlineData("""[1, 2]""", "body", "must be a JSON object")]
    [InlineData("""{ "service": "s", "command": ["true"] """, "body", "is not valid JSON")]
    public void Parse_BadField_SaysWhatItMustBe(string json, string field, string message)
    {
        var (spec, errors) = Parse(json);
        Assert.Null(spec);
        Assert.StartsWith(message, errors[field][0], StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SizesAsNumbersAndText_AreBytes()
    {
        var (spec, _) = Parse("""{ "service": "s", "command": ["true"], "resources": { "memory": 8388608, "gpu": { "memory": "1.5G" } } }""");
        Assert.Equal(8_388_608L, spec!.Resources.MemoryBytes);
        Assert.Equal(new GpuRequest(1, null, 1_500_000_000L), spec.Resources.Gpu);
    }

    private static (JobSpec? Spec, Dictionary<string, string[]> Errors) Parse(string json) => JobSpecBinding.Parse(json);
}
