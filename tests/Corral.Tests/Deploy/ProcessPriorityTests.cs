using Corral.Tests.EndToEnd;
using Xunit;

namespace Corral.Tests.Deploy;

/// <summary>
/// The priorities the deploy scripts give the processes they start (deploy/lib/nice.sh, deploy/lib/docker.sh), read
/// back from the kernel as an operator would: /proc/PID/stat for a thread's nice value and scheduling policy, and
/// /proc/PID/autogroup for the weight of its session. This machine's kernel schedules by autogroup, as Debian's do.
/// </summary>
public sealed class ProcessPriorityTests
{
    private const string SchedIdle = "5";
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AProcessThatStartsItsSessionLate_GetsItsSessionWeighedAtItsNice_AndTheCallersSessionIsLeftAlone()
    {
        // The child calls setsid() 0.3 s after it starts: written any earlier, the caller's session would be re-weighed.
        var output = await BashInASessionOfItsOwnAsync(
            """
            echo "caller before: $(cat /proc/self/autogroup)"
            ( sleep 0.3; exec setsid sleep 30 ) >/dev/null 2>&1 &
            pid=$!
            trap 'kill "$pid"' EXIT
            corral_nice_session "$pid" 7
            echo "started: $(cat /proc/$pid/autogroup)"
            echo "caller after: $(cat /proc/self/autogroup)"
            """);

        Assert.Matches(@"^/autogroup-\d+ nice 7$", Line(output, "started: "));
        Assert.Matches(@"^/autogroup-\d+ nice 0$", Line(output, "caller after: "));
        Assert.Equal(Line(output, "caller before: "), Line(output, "caller after: "));
    }

    [Fact]
    public async Task ARunningProcess_TakesTheNiceAndThePolicy_AndGoesBackToNormal()
    {
        var output = await BashInASessionOfItsOwnAsync(
            """
            show() { local label=$1 s; s=$(cat /proc/$pid/stat); set -- ${s##*) }; echo "$label: nice ${17} policy ${39}, session $(cat /proc/$pid/autogroup)"; }
            setsid sleep 30 >/dev/null 2>&1 &
            pid=$!
            trap 'kill "$pid"' EXIT
            corral_priority_apply "$pid" 9 idle
            show idle
            corral_priority_apply "$pid" 3 normal
            show normal
            """);

        Assert.Matches($@"^nice 9 policy {SchedIdle}, session /autogroup-\d+ nice 9$", Line(output, "idle: "));
        Assert.Matches(@"^nice 3 policy 0, session /autogroup-\d+ nice 3$", Line(output, "normal: "));
    }

    [Fact]
    public async Task TheEngineTheScriptsStarted_RunsEveryThreadAtItsPriority_InSessionsWeighedTheSame()
    {
        // deploy/test.sh started the engine through deploy/lib/docker.sh, or found the one it started and set it again.
        var nice = Setting("CORRAL_DOCKER_NICE", "10");
        var policy = Setting("CORRAL_DOCKER_SCHED", "idle") == "idle" ? SchedIdle : "0";
        var pidFile = Setting("CORRAL_DOCKERD_PIDFILE", "/run/corral-dockerd.pid");
        Assert.True(File.Exists(pidFile), $"{pidFile} is missing: the Docker engine was not started by deploy/lib/docker.sh");
        var dockerd = (await File.ReadAllTextAsync(pidFile)).Trim();
        Assert.Equal("dockerd", ReadOrEmpty($"/proc/{dockerd}/comm").Trim());
        // The containerd dockerd runs, when it runs its own (one already on the machine is used instead).
        var engine = Directory.GetDirectories("/proc")
            .Select(d => Path.GetFileName(d))
            .Where(pid => ReadOrEmpty($"/proc/{pid}/comm").Trim() == "containerd" && StatFields($"/proc/{pid}") is { } f && f[1] == dockerd)
            .Prepend(dockerd)
            .ToList();

        foreach (var pid in engine)
        {
            var threads = Directory.GetDirectories($"/proc/{pid}/task").Select(StatFields).OfType<string[]>().ToList();
            Assert.NotEmpty(threads);
            Assert.All(threads, fields => Assert.Equal((nice, policy), (fields[16], fields[38])));
            Assert.Matches($@"^/autogroup-\d+ nice {nice}$", ReadOrEmpty($"/proc/{pid}/autogroup").Trim());
        }
    }

    [Fact]
    public async Task UpSh_RefusesAnUnknownSchedulingPolicy_ByName_BeforeAnyWork()
    {
        var home = Directory.CreateTempSubdirectory("corral-up-refusal-");
        try
        {
            var result = await CommandRunner.RunAsync(
                "bash", ["deploy/up.sh"], ScriptTimeout,
                new Dictionary<string, string> { ["CORRAL_DOCKER_SCHED"] = "fifo", ["CORRAL_HOME"] = home.FullName },
                TestEnvironment.RepositoryRoot);

            Assert.Equal(1, result.ExitCode);
            Assert.Equal("error: CORRAL_DOCKER_SCHED must be 'normal' or 'idle', not 'fifo'", result.Error.Trim());
            Assert.Equal("", result.Output);
            Assert.Empty(home.EnumerateFileSystemInfos());
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Runs a script with deploy/lib/nice.sh sourced, as a session of its own: what it does to "its caller's" session
    /// then never reaches the test run's.
    /// </summary>
    private static async Task<string> BashInASessionOfItsOwnAsync(string script)
    {
        Assert.True(File.Exists("/proc/self/autogroup"), "this kernel does not schedule by autogroup, which these tests are about");
        var result = await CommandRunner.RunAsync(
            "setsid", ["--wait", "bash", "-c", "set -euo pipefail\nsource deploy/lib/nice.sh\n" + script],
            ScriptTimeout, workingDirectory: TestEnvironment.RepositoryRoot);
        Assert.True(result.ExitCode == 0, $"the script failed ({result.ExitCode}):\n{result.Output}{result.Error}");
        return result.Output;
    }

    private static string Setting(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;

    /// <summary>The rest of the one line of <paramref name="output"/> that starts with <paramref name="prefix"/>.</summary>
    private static string Line(string output, string prefix)
    {
        var line = output.Split('\n').SingleOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no line starting '{prefix}' in:\n{output}");
        return line[prefix.Length..];
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
