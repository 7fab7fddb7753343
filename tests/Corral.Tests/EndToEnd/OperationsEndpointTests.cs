using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>
/// What an operator's probes and Prometheus see: /healthz/live and /healthz/ready on every process, and /metrics whose
/// job counters move when a job runs.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed partial class OperationsEndpointTests(CorralSystem system)
{
    [Fact]
    public async Task EveryProcess_IsLiveAndReady_NamingWhatItChecked()
    {
        var expected = new Dictionary<Uri, string[]>
        {
            [system.SiloOperations] = ["postgres", "cluster"],
            [system.HostAgentOperations] = ["postgres", "cluster", "docker", "iptables"],
            [system.BaseAddress] = ["postgres", "cluster"],
        };
        foreach (var (address, checks) in expected)
        {
            using var probe = new HttpClient { BaseAddress = address };
            var live = await probe.GetAsync("/healthz/live");
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);

            var ready = await probe.GetAsync("/healthz/ready");
            var body = (await ready.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.True(ready.StatusCode == HttpStatusCode.OK, $"{address}: {body.ToJsonString()}");
            Assert.Equal("Healthy", body["status"]!.GetValue<string>());
            Assert.Equal(checks.Order(), body["checks"]!.AsObject().Select(c => c.Key).Order());
        }
    }

    [Fact]
    public async Task Metrics_CountAJobFromSubmissionToItsEnd()
    {
        using var metrics = new HttpClient { BaseAddress = system.SiloOperations };
        var before = await metrics.GetStringAsync("/metrics");
        using var bob = system.Client(await system.CreateUserAsync("metrics"));
        var id = await Jobs.SubmitAsync(bob, new
        {
            service = "metrics-probe",
            image = "corral/busybox:latest",
            command = new[] { "sh", "-c", "echo counted; exit 3" },
        });
        Assert.Equal("failed", Jobs.Status(await CorralSystem.Terminal(system, bob, id)));

        var after = await metrics.GetStringAsync("/metrics");
        Assert.Equal(0, Sample(before, "corral_jobs_submitted_total", "service=\"metrics-probe\""));
        Assert.Equal(1, Sample(after, "corral_jobs_submitted_total", "service=\"metrics-probe\""));
        Assert.Equal(1, Sample(after, "corral_jobs_admitted_total", "service=\"metrics-probe\""));
        Assert.Equal(1, Sample(after, "corral_jobs_finished_total", "reason=\"exit_code\"", "service=\"metrics-probe\"", "status=\"failed\""));
        Assert.Equal(1, Sample(after, "corral_jobs_submit_to_running_seconds_count", "service=\"metrics-probe\""));
        await system.WaitForJobAsync(bob, id, j => j["logBytesTotal"]!.GetValue<long>() == 8, TimeSpan.FromSeconds(30));
        Assert.Equal(8, Sample(await metrics.GetStringAsync("/metrics"), "corral_jobs_log_counted_bytes_total", "service=\"metrics-probe\""));
        Assert.True(Sample(after, "corral_storage_commit_statements_count") > 0, "group commits are counted");

        // Worker capacity is read from the dispatcher every 10 s.
        var worker = $"worker=\"{system.WorkerName}\"";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var text = after;
        while (Sample(text, "corral_worker_cpu_capacity", worker) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(1000);
            text = await metrics.GetStringAsync("/metrics");
        }

        Assert.True(Sample(text, "corral_worker_cpu_capacity", worker) >= 1, "the worker's CPUs are reported");
        Assert.Equal(1, Sample(text, "corral_worker_accepting", worker));
    }

    [Fact]
    public async Task GatewayMetrics_AreForAdminsOnly()
    {
        using var stranger = system.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync("/metrics")).StatusCode);
        using var user = system.Client(await system.CreateUserAsync("nosy"));
        Assert.Equal(HttpStatusCode.Forbidden, (await user.GetAsync("/metrics")).StatusCode);

        using var admin = system.Client(system.AdminToken);
        var text = await admin.GetStringAsync("/metrics");
        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overview_CountsUnfinishedJobsByService_AndRecentFailuresByReason_ForAdminsOnly()
    {
        using var dana = system.Client(await system.CreateUserAsync("dana"));
        Assert.Equal(HttpStatusCode.Forbidden, (await dana.GetAsync("/api/admin/overview")).StatusCode);
        var service = "overview-" + Guid.NewGuid().ToString("N")[..6];
        var sleeper = await Jobs.SubmitAsync(dana, Jobs.Shell("sleep 60", service));
        await system.WaitForJobAsync(dana, sleeper, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));
        var failing = await Jobs.SubmitAsync(dana, Jobs.Shell("exit 7", service));
        await CorralSystem.Terminal(system, dana, failing);

        using var admin = system.Client(system.AdminToken);
        var overview = (await admin.GetFromJsonAsync<JsonObject>("/api/admin/overview"))!;
        var load = overview["services"]!.AsArray().Single(s => s!["service"]!.GetValue<string>() == service)!;
        Assert.Equal(1, load["running"]!.GetValue<long>());
        Assert.Equal(0, load["queued"]!.GetValue<long>());
        var exitCodes = overview["recentFailures"]!.AsArray().Single(f => f!["reason"]!.GetValue<string>() == "exit_code")!;
        Assert.True(exitCodes["jobs"]!.GetValue<long>() >= 1);

        await dana.PostAsync($"/api/jobs/{sleeper}/cancel", null);
        await CorralSystem.Terminal(system, dana, sleeper);
        overview = (await admin.GetFromJsonAsync<JsonObject>("/api/admin/overview"))!;
        Assert.DoesNotContain(overview["services"]!.AsArray(), s => s!["service"]!.GetValue<string>() == service);
        var cancelled = overview["recentFailures"]!.AsArray().Single(f => f!["reason"]!.GetValue<string>() == "cancelled_by_user")!;
        Assert.Equal(sleeper, cancelled["lastJobId"]!.GetValue<string>());
    }

    [Fact]
    public async Task ADrainedWorker_KeepsItsRunningJob_AndTakesNoNewOne_UntilOpenedAgain()
    {
        using var erin = system.Client(await system.CreateUserAsync("erin"));
        using var admin = system.Client(system.AdminToken);
        var running = await Jobs.SubmitAsync(erin, Jobs.Shell("sleep 5; echo kept", "drain"));
        await system.WaitForJobAsync(erin, running, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));

        var drained = await admin.PostAsync($"/api/workers/{system.WorkerName}/drain", null);
        Assert.True((await drained.Content.ReadFromJsonAsync<JsonObject>())!["draining"]!.GetValue<bool>());
        try
        {
            var waiting = await Jobs.SubmitAsync(erin, Jobs.Shell("echo later", "drain"));
            var pending = await system.WaitForJobAsync(erin, waiting, j => Jobs.Status(j) == "pending" && j["message"] is not null, TimeSpan.FromSeconds(30));
            Assert.Contains($"every live worker is draining ({system.WorkerName})", pending["message"]!.GetValue<string>());
            Assert.Equal("succeeded", Jobs.Status(await CorralSystem.Terminal(system, erin, running)));
            Assert.Equal("pending", Jobs.Status((await erin.GetFromJsonAsync<JsonObject>($"/api/jobs/{waiting}"))!));

            Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync($"/api/workers/{system.WorkerName}/drain")).StatusCode);
            Assert.Equal("succeeded", Jobs.Status(await CorralSystem.Terminal(system, erin, waiting)));
        }
        finally
        {
            await admin.DeleteAsync($"/api/workers/{system.WorkerName}/drain");
        }

        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/workers/no-such-worker/drain", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await erin.PostAsync($"/api/workers/{system.WorkerName}/drain", null)).StatusCode);
    }

    /// <summary>The value of the one sample of <paramref name="name"/> whose labels include all of <paramref name="labels"/>; 0 when none.</summary>
    private static double Sample(string exposition, string name, params string[] labels)
    {
        var values = exposition.Split('\n')
            .Select(line => SampleLine().Match(line))
            .Where(m => m.Success && m.Groups["name"].Value == name && labels.All(l => m.Groups["labels"].Value.Contains(l, StringComparison.Ordinal)))
            .Select(m => double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        return values.Count switch
        {
            0 => 0,
            1 => values[0],
            _ => throw new InvalidOperationException($"{values.Count} samples of {name} match {string.Join(',', labels)}"),
        };
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)")]
    private static partial Regex SampleLine();
}
