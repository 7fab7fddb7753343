using System.Text.Json;
using Corral.Cli;
using Corral.Cli.Commands;
using Xunit;

namespace Corral.Tests.Cli;

/// <summary>What corral's arguments turn into: the job spec sent, the parsed command line, the exit code read from a job.</summary>
public sealed class CliArgumentTests
{
    [Fact]
    public void Run_TakesEverythingAfterTheDoubleDash_AsTheCommand()
    {
        var parse = CliApp.Build().Parse(["run", "--attach", "--cpu", "2", "--", "sh", "-c", "echo hi; exit 3"]);

        Assert.Empty(parse.Errors);
        var command = parse.CommandResult.Command;
        Assert.Equal("run", command.Name);
        var arguments = parse.GetValue<string[]>("command");
        Assert.Equal(["sh", "-c", "echo hi; exit 3"], arguments!);
        Assert.True(parse.GetValue<bool>("--attach"));
    }

    [Fact]
    public void Spec_SendsNumbersAsNumbers_AndAnythingElseAsTheUserTypedIt()
    {
        var spec = JobSpecBuilder.Build(new JobSpecBuilder.Options(
            "gpu", "corral/busybox", ["python", "train.py"], Cpu: "1.5", Memory: "512Mi", Pids: "64", Gpu: "2:H100:40GB",
            Env: ["A=1", "B=x=y"], MaxDurationSeconds: "600"));

        Assert.Equal(
            """{"service":"gpu","image":"corral/busybox","command":["python","train.py"],"env":{"A":"1","B":"x=y"},"resources":{"cpu":1.5,"memory":"512Mi","pids":64,"gpu":{"count":2,"type":"H100","memory":"40GB"}},"maxDurationSeconds":600}""",
            spec.ToJsonString());
        var bad = JobSpecBuilder.Build(new JobSpecBuilder.Options("s", null, [], Cpu: "lots"));
        Assert.Equal("""{"service":"s","resources":{"cpu":"lots"}}""", bad.ToJsonString());
    }

    [Fact]
    public void Spec_RefusesAnEnvWithoutEquals()
    {
        var error = Assert.Throws<UsageException>(() => JobSpecBuilder.Build(new JobSpecBuilder.Options("s", null, [], Env: ["NAME"])));
        Assert.Contains("--env", error.Message);
    }

    [Theory]
    [InlineData("""{"status":"succeeded","exitCode":0}""", 0)]
    [InlineData("""{"status":"failed","terminationReason":"exit_code","exitCode":3}""", 3)]
    [InlineData("""{"status":"cancelled","terminationReason":"cancelled_by_user","exitCode":137}""", ExitCodes.Cancelled)]
    [InlineData("""{"status":"failed","terminationReason":"log_quota_exceeded","exitCode":137}""", ExitCodes.QuotaExceeded)]
    [InlineData("""{"status":"failed","terminationReason":"max_duration_exceeded"}""", ExitCodes.MaxDurationExceeded)]
    [InlineData("""{"status":"failed","terminationReason":"out_of_memory"}""", ExitCodes.OutOfMemory)]
    [InlineData("""{"status":"failed","terminationReason":"worker_lost"}""", ExitCodes.FailedWithoutExitCode)]
    [InlineData("""{"status":"failed","terminationReason":"container_error"}""", ExitCodes.FailedWithoutExitCode)]
    public void Attach_ExitsWithTheJobsCode_OrTheDocumentedOneForWhyItEnded(string job, int expected)
    {
        Assert.Equal(expected, JobOutcome.ExitCode(JsonDocument.Parse(job).RootElement));
    }

    [Fact]
    public void Ssh_PutsTheDestinationBeforeTheUsersOwnArguments()
    {
        Assert.Equal(
            ["-p", "2222", "-i", "/k", "-o", "IdentitiesOnly=yes", "corral@10.0.0.5", "-L", "8080:localhost:8080"],
            SshCommand.Arguments("10.0.0.5", "2222", "corral", "/k", ["-L", "8080:localhost:8080"]));
    }
}
