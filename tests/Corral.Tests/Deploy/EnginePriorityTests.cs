using System.Diagnostics;
using Corral.Tests.EndToEnd;
using Xunit;

namespace Corral.Tests.Deploy;

/// <summary>
/// The priority of the Docker engine the deploy scripts start (deploy/lib/docker.sh), read back from the kernel as an
/// operator would (/proc/PID/stat): the normal policy at nice 0, which the containers it starts inherit. An engine
/// left under another priority by earlier scripts is restarted, unless containers run.
/// </summary>
public sealed class EnginePriorityTests
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TheEngineTheScriptsStarted_RunsEveryThreadUnderTheNormalPolicy_AtNice0()
    {
        // deploy/test.sh started the engine through deploy/lib/docker.sh, or found the one it started.
        var pidFile = Environment.GetEnvironmentVariable("CORRAL_DOCKERD_PIDFILE") is { Length: > 0 } set ? set : "/run/corral-dockerd.pid";
        Assert.True(File.Exists(pidFile), $"{pidFile} is missing: the Docker engine was not started by deploy/lib/docker.sh");
        var dockerd = (await File.ReadAllTextAsync(pidFile)).Trim();
        Assert.Equal("dockerd", ReadOrEmpty($"/proc/{dockerd}/comm").Trim());
        // The containerd dockerd runs, when it runs its own, and the shims of running containers under it.
        var engine = Directory.GetDirectories("/proc")
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(pid => ReadOrEmpty($"/proc/{pid}/comm").Trim() == "containerd" && StatFields($"/proc/{pid}") is { } f && f[1] == dockerd)
            .Prepend(dockerd)
            .ToList();

        foreach (var pid in engine)
        {
            var threads = Directory.GetDirectories($"/proc/{pid}/task").Select(StatFields).OfType<string[]>().ToList();
            Assert.NotEmpty(threads);
            Assert.All(threads, fields => Assert.Equal(("0", "0"), (fields[16], fields[38])));
        }
    }

    [Fact]
    public async Task AnEngineStartedHereUnderTheIdlePolicy_IsRestarted_WhenNoContainerRuns()
    {
        var output = await EnsureRunningWithAnEngineAtAsync(["--idle", "0", "nice", "-n", "10"], runningContainers: 0);

        Assert.False(output.EngineStillRuns, "the engine under the idle policy was not stopped");
        Assert.Contains($"restarting the engine (pid {output.Pid}, at nice 10 policy 5) at nice 0 under the normal policy", output.Log);
    }

    [Fact]
    public async Task AnEngineStartedHereUnderTheIdlePolicy_IsLeftRunning_WhileContainersRun_SayingWhy()
    {
        var output = await EnsureRunningWithAnEngineAtAsync(["--idle", "0", "nice", "-n", "10"], runningContainers: 2);

        Assert.True(output.EngineStillRuns, "the engine was stopped while containers ran");
        Assert.Contains(
            $"warning: the engine (pid {output.Pid}) runs at nice 10 policy 5, not nice 0 policy 0 (normal), and so do its containers; not restarting it while 2 container(s) run",
            output.Log);
    }

    [Fact]
    public async Task AnEngineStartedHereAtNormalPriority_IsLeftAlone()
    {
        var output = await EnsureRunningWithAnEngineAtAsync(["--other", "0", "nice", "-n", "0"], runningContainers: 0);

        Assert.True(output.EngineStillRuns, "an engine at normal priority was stopped");
        Assert.Equal("", output.Log);
    }

    private sealed record EnsureRunningOutcome(int Pid, bool EngineStillRuns, string Log);

    /// <summary>
    /// Runs corral_docker_ensure_running against a stand-in for an engine the scripts started: a program named
    /// dockerd started here under <paramref name="chrt"/>, in the pid file, and a docker client that answers and lists
    /// <paramref name="runningContainers"/> containers. The machine's real engine is never touched.
    /// </summary>
    private static async Task<EnsureRunningOutcome> EnsureRunningWithAnEngineAtAsync(string[] chrt, int runningContainers)
    {
        var folder = Directory.CreateTempSubdirectory("corral-engine-priority-");
        try
        {
            var dockerd = Path.Combine(folder.FullName, "dockerd");
            File.Copy("/bin/sleep", dockerd);
            var client = Path.Combine(folder.FullName, "docker");
            await File.WriteAllTextAsync(client, $"#!/bin/sh\n[ \"$1\" = ps ] && seq 1 {runningContainers}\nexit 0\n");
            File.SetUnixFileMode(client, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            // Started by this process, which reaps it as soon as it ends: chrt and nice exec the stand-in, same pid.
            using var engine = Process.Start("chrt", [.. chrt, dockerd, "60"])!;
            var pidFile = Path.Combine(folder.FullName, "dockerd.pid");
            await File.WriteAllTextAsync(pidFile, engine.Id.ToString());
            await WaitUntilAsync(() => ReadOrEmpty($"/proc/{engine.Id}/comm").Trim() == "dockerd");

            var result = await CommandRunner.RunAsync(
                "bash",
                ["-c", $"set -euo pipefail\nsource deploy/lib/docker.sh\ncorral_docker_cli() {{ echo '{client}'; }}\ncorral_docker_ensure_running"],
                ScriptTimeout,
                new Dictionary<string, string> { ["CORRAL_DOCKERD_PIDFILE"] = pidFile, ["CORRAL_DOCKERD_LOG"] = Path.Combine(folder.FullName, "dockerd.log") },
                TestEnvironment.RepositoryRoot);

            Assert.True(result.ExitCode == 0, $"corral_docker_ensure_running failed ({result.ExitCode}):\n{result.Output}{result.Error}");
            await Task.Delay(200);
            var stillRuns = !engine.HasExited;
            if (stillRuns)
            {
                engine.Kill();
            }

            return new EnsureRunningOutcome(engine.Id, stillRuns, result.Error.Replace("\n", " ", StringComparison.Ordinal).Trim());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the stand-in engine did not start");
            await Task.Delay(20);
        }
    }

    /// <summary>The fields of a process's or thread's stat after "(comm)": proc(5)'s field N is at index N - 3; null once it ended.</summary>
    private static string[]? StatFields(string procFolder)
    {
        var stat = ReadOrEmpty(Path.Combine(procFolder, "stat"));
        var end = stat.LastIndexOf(") ", StringComparison.Ordinal);
        return end < 0 ? null : stat[(end + 2)..].Split(' ');
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
