using Corral.Tests.EndToEnd;
using Xunit;

namespace Corral.Tests.Deploy;

/// <summary>
/// deploy/lib/processes.sh as up.sh and down.sh use it, with a stand-in for dotnet: a process that fails is started
/// again, a stop ends it for good, and a process that fails while up.sh waits for it is stopped and reported.
/// </summary>
public sealed class ProcessSupervisionTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("corral-supervise-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public async Task AProcessThatFails_IsStartedAgain_AndAStopEndsItForGood()
    {
        // Fails its first run with code 3; the second runs until it is asked to stop.
        var runs = Path.Combine(_folder.FullName, "runs");
        var result = await RunAsync(
            $"""
            n=$(($(cat '{runs}' 2>/dev/null || echo 0) + 1)); echo $n > '{runs}'
            echo "run $n"
            [ $n -eq 1 ] && exit 3
            trap 'echo "run $n stopping"; exit 0' TERM
            while :; do sleep 0.1; done
            """,
            """
            corral_proc_start agent "$RUN" "$LOGS" agent.dll
            until grep -q 'run 2' "$LOGS/agent.log"; do sleep 0.2; done
            corral_proc_running agent "$RUN" && echo "running after the failure"
            corral_proc_stop agent "$RUN"
            sleep 6
            corral_proc_running agent "$RUN" || echo "not running after the stop"
            """);

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("running after the failure", result.Output);
        Assert.Contains("not running after the stop", result.Output);
        var log = await File.ReadAllTextAsync(Path.Combine(_folder.FullName, "logs", "agent.log"));
        Assert.Matches(@"(?m)^run 1\n.*corral: agent exited with code 3; starting it again in 5s\nrun 2\nrun 2 stopping\n\z", log);
        Assert.Equal("2", (await File.ReadAllTextAsync(runs)).Trim());
    }

    [Fact]
    public async Task AProcessThatFailsWhileUpWaitsForIt_IsReported_AndNotStartedAgain()
    {
        var runs = Path.Combine(_folder.FullName, "runs");
        var result = await RunAsync(
            $"""
            echo run >> '{runs}'
            echo "bad setting: SERVICE_X_RUNS_PER_USER"
            exit 2
            """,
            """
            corral_proc_start silo "$RUN" "$LOGS" silo.dll
            if corral_proc_wait silo "$RUN" "$LOGS" 60 false; then echo "ready"; else echo "wait failed"; fi
            sleep 7
            corral_proc_running silo "$RUN" || echo "not running"
            """);

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("wait failed", result.Output);
        Assert.Contains("not running", result.Output);
        Assert.Contains("error: silo exited during start", result.Error);
        Assert.Contains("bad setting: SERVICE_X_RUNS_PER_USER", result.Error);
        Assert.Single(await File.ReadAllLinesAsync(runs));
    }

    /// <summary>Runs <paramref name="script"/> with processes.sh sourced and <c>dotnet</c> replaced by <paramref name="fakeDotnet"/>.</summary>
    private async Task<CommandResult> RunAsync(string fakeDotnet, string script)
    {
        var bin = Directory.CreateDirectory(Path.Combine(_folder.FullName, "bin"));
        var dotnet = Path.Combine(bin.FullName, "dotnet");
        await File.WriteAllTextAsync(dotnet, "#!/bin/sh\n" + fakeDotnet + "\n");
        File.SetUnixFileMode(dotnet, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return await CommandRunner.RunAsync(
            "bash",
            ["-c", "set -uo pipefail\nsource deploy/lib/processes.sh\n" + script],
            TimeSpan.FromSeconds(60),
            new Dictionary<string, string>
            {
                ["PATH"] = $"{bin.FullName}:{Environment.GetEnvironmentVariable("PATH")}",
                ["RUN"] = Path.Combine(_folder.FullName, "run"),
                ["LOGS"] = Path.Combine(_folder.FullName, "logs"),
            },
            TestEnvironment.RepositoryRoot);
    }
}
