using System.Diagnostics;
using System.Globalization;
using Corral.Tests.EndToEnd;
using Xunit;

namespace Corral.Tests.Deploy;

/// <summary>
/// The priorities the deploy scripts give the processes they start (deploy/lib/nice.sh, deploy/lib/docker.sh), read
/// back from the kernel as an operator would: /proc/PID/stat for a thread's nice value and scheduling policy, and
/// /proc/PID/autogroup for the weight of its session.
/// </summary>
public sealed class ProcessPriorityTests
{
    private const int SchedIdle = 5;

    [Fact]
    public async Task AProcessInASessionOfItsOwn_GetsItsSessionWeighedAtItsNice_AndTheCallersSessionIsLeftAlone()
    {
        var output = await BashAsync(
            """
            source deploy/lib/nice.sh
            echo "caller before: $(cat /proc/self/autogroup)"
            setsid sleep 30 &
            pid=$!
            corral_nice_session "$pid" 7
            echo "started: $(cat /proc/$pid/autogroup)"
            echo "caller after: $(cat /proc/self/autogroup)"
            kill "$pid"
            """);

        Assert.EndsWith(" nice 7", Line(output, "started: "), StringComparison.Ordinal);
        // Written before the child's setsid(), the caller's own session would have been re-weighted instead.
        Assert.Equal(Line(output, "caller before: "), Line(output, "caller after: "));
    }

    [Fact]
    public async Task ARunningProcess_TakesTheNiceAndThePolicy_AndGoesBackToNormal()
    {
        var output = await BashAsync(
            """
            source deploy/lib/nice.sh
            show() { local label=$1 s; s=$(cat /proc/$pid/stat); set -- ${s##*) }; echo "$label: nice ${17} policy ${39}, session $(cat /proc/$pid/autogroup)"; }
            setsid sleep 30 &
            pid=$!
            corral_priority_apply "$pid" 9 idle
            show idle
            corral_priority_apply "$pid" 3 normal
            show normal
            kill "$pid"
            """);

        Assert.Matches($@"^nice 9 policy {SchedIdle}, session /autogroup-\d+ nice 9$", Line(output, "idle: "));
        Assert.Matches(@"^nice 3 policy 0, session /autogroup-\d+ nice 3$", Line(output, "normal: "));
    }

    [Fact]
    public async Task TheEngineTheScriptsStarted_RunsUnderTheIdlePolicy_AtItsNice_InSessionsWeighedTheSame()
    {
        // deploy/test.sh started (or found, and set again) the engine through deploy/lib/docker.sh.
        var nice = Environment.GetEnvironmentVariable("CORRAL_DOCKER_NICE") ?? "10";
        var dockerd = int.Parse((await File.ReadAllTextAsync("/run/corral-dockerd.pid")).Trim(), CultureInfo.InvariantCulture);
        var containerd = Directory.GetDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && ReadOrEmpty($"/proc/{pid}/comm").Trim() == "containerd" && StatFields(pid) is { } f && f[1] == dockerd.ToString(CultureInfo.InvariantCulture))
            .ToList();
        Assert.Single(containerd);

        foreach (var pid in new[] { dockerd, containerd[0] })
        {
            foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
            {
                var fields = StatFields(task);
                if (fields is null)
                {
                    continue; // the thread ended meanwhile
                }

                Assert.Equal((nice, SchedIdle.ToString(CultureInfo.InvariantCulture)), (fields[16], fields[38]));
            }

            Assert.EndsWith($" nice {nice}", (await File.ReadAllTextAsync($"/proc/{pid}/autogroup")).Trim(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task UpSh_RefusesAnUnknownSchedulingPolicy_ByName_BeforeAnyWork()
    {
        var (exitCode, output) = await RunAsync("bash", "deploy/up.sh", new Dictionary<string, string> { ["CORRAL_DOCKER_SCHED"] = "fifo" });

        Assert.Equal(1, exitCode);
        Assert.Equal("error: CORRAL_DOCKER_SCHED must be 'normal' or 'idle', not 'fifo'", output.Trim());
    }

    /// <summary>The rest of the one line of <paramref name="output"/> that starts with <paramref name="prefix"/>.</summary>
    private static string Line(string output, string prefix)
    {
        var line = output.Split('\n').SingleOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no line starting '{prefix}' in:\n{output}");
        return line[prefix.Length..];
    }

    /// <summary>The fields of /proc/PID/stat after "(comm)": state, parent, ... (proc(5) field N is index N - 3).</summary>
    private static string[]? StatFields(int pid) => StatFields($"/proc/{pid}");

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
        catch (IOException)
        {
            return "";
        }
    }

    private static async Task<string> BashAsync(string script)
    {
        var (exitCode, output) = await RunAsync("bash", "-c", new Dictionary<string, string>(), "set -euo pipefail\n" + script);
        Assert.True(exitCode == 0, $"the script failed ({exitCode}):\n{output}");
        return output;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string argument, Dictionary<string, string> environment, string? extra = null)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = TestEnvironment.RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(argument);
        if (extra is not null)
        {
            start.ArgumentList.Add(extra);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
