using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Corral.HostAgent;
using Corral.Tests.EndToEnd;
using Corral.Tests.Workspaces;
using Xunit;
using JobCalls = Corral.Tests.EndToEnd.Jobs;

namespace Corral.Tests.Security;

/// <summary>
/// A job trying to fill the host's disk, on the running system (LOG_QUOTA_PER_JOB_HOUR=20000, so the output bound is
/// four times that; /work capped at 6 MiB): output the log quota does not count (escape sequences), the output file
/// itself, and every path a job can write to.
/// </summary>
[Collection(WorkspaceCollection.Name)]
public sealed class HostDiskSecurityTests(WorkspaceSystem system)
{
    private static readonly long OutputBound = HostAgentSettings.DefaultOutputMaxBytesPerHour(20000);

    [Fact]
    public async Task OutputMadeOnlyOfEscapeSequences_EndsOutputQuotaExceeded_AndTheHostFileStopsAtTheBound()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        // Nothing but "ESC [ m": the stripped log stays empty, so the log quota never sees it.
        var id = await JobCalls.SubmitAsync(alice, JobCalls.Shell("yes \"$(printf '\\033[m')\" | tr -d '\\n'", service: "escapes"));
        var file = Path.Combine(system.JobOutputFolder, $"{id}.out");

        long largest = 0;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline && JobCalls.Status((await alice.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}"))!) is "queued" or "pending" or "starting" or "running")
        {
            largest = Math.Max(largest, File.Exists(file) ? new FileInfo(file).Length : 0);
            await Task.Delay(20);
        }

        var done = await CorralSystem.Terminal(system, alice, id);
        Assert.Equal(("failed", "output_quota_exceeded"), (JobCalls.Status(done), JobCalls.Reason(done)));
        Assert.Contains("JOB_OUTPUT_MAX_BYTES_PER_HOUR", done["message"]!.GetValue<string>(), StringComparison.Ordinal);
        // The runner writes no byte past the bound (no slack): the job's writes block there until it is ended.
        Assert.True(largest <= OutputBound, $"the output file reached {largest} bytes, over the bound of {OutputBound}");
        Assert.True(largest > 0, "the output file was never seen growing");
        Assert.Equal(0, done["logBytesTotal"]!.GetValue<long>());
    }

    [Fact]
    public async Task TheJob_CannotReachItsOutputFile_ExceptThroughTheRunner()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await JobCalls.SubmitAsync(alice, JobCalls.Shell(
            "id -u; printf direct >>/.corral/output; ls /proc/1/fd; kill -9 1; echo still-here", service: "escapes"));

        var done = await CorralSystem.Terminal(system, alice, id);

        Assert.Equal("succeeded", JobCalls.Status(done));
        var logs = await alice.GetStringAsync($"/api/jobs/{id}/logs");
        Assert.StartsWith("1000\n", logs, StringComparison.Ordinal);
        Assert.Contains("can't create /.corral/output: Permission denied", logs, StringComparison.Ordinal);
        Assert.Contains("can't open '/proc/1/fd': Permission denied", logs, StringComparison.Ordinal);
        Assert.DoesNotContain("direct", logs, StringComparison.Ordinal);
        Assert.EndsWith("still-here\n", logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FillingEveryWritablePath_EndsWithANamedReasonOrAWriteError_NeverOnTheHostsDisk()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        string[] scratch = ["/tmp", "/var/tmp", "/run", "$HOME"];
        var jobs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in (string[])["/", "/work", .. scratch])
        {
            // 64 MiB into a job capped at 32 MiB of memory (the tmpfs sizes) and 6 MiB of /work; the sleep keeps it
            // alive past the working directory's one-second check.
            var script = $"echo fs=$(stat -f -c %T {path}); dd if=/dev/zero of={path}/fill bs=1048576 count=64; echo dd=$?; sleep 3";
            jobs[path] = await JobCalls.SubmitAsync(alice, JobCalls.Shell(script, service: "fill", memory: "32Mi"));
        }

        foreach (var (path, id) in jobs)
        {
            var done = await CorralSystem.Terminal(system, alice, id);
            var logs = await alice.GetStringAsync($"/api/jobs/{id}/logs");
            var reason = JobCalls.Reason(done);
            var context = $"{path}: {JobCalls.Status(done)} {reason}: {logs}";
            switch (path)
            {
                case "/":
                    Assert.True(logs.Contains("Read-only file system", StringComparison.Ordinal), context);
                    Assert.Contains("dd=1", logs, StringComparison.Ordinal);
                    break;
                case "/work":
                    Assert.True(reason == "disk_quota_exceeded", context);
                    break;
                default:
                    // In memory, charged to the job's cap: the write fails when the tmpfs is full, or the job ends
                    // out of memory first.
                    Assert.True(logs.Contains("fs=tmpfs", StringComparison.Ordinal), context);
                    Assert.True(
                        reason == "out_of_memory" || (logs.Contains("No space left on device", StringComparison.Ordinal) && logs.Contains("dd=1", StringComparison.Ordinal)),
                        context);
                    break;
            }
        }
    }
}
