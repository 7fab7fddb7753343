using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>
/// An admin changes a service's limits at run time (PUT/GET/DELETE /api/quotas/services/{service}, issue 18).
/// Service "livelimits" has SERVICE_LIVELIMITS_RUNS_PER_USER=1 and SERVICE_LIVELIMITS_MAX_RUNS=10.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ServiceLimitsApiTests(CorralSystem system)
{
    private const string Route = "/api/quotas/services/livelimits";

    [Fact]
    public async Task RaisingAUsersLimit_StartsTheirWaitingJobs_LoweringIt_AdmitsNoMoreBeyondIt()
    {
        var token = await system.CreateUserAsync("alice");
        using var alice = system.Client(token);
        using var admin = system.Client(system.AdminToken);
        await using var live = await LiveClient.ConnectAsync(system.BaseAddress, token);
        var ids = new List<string>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                ids.Add(await Jobs.SubmitAsync(alice, Sleeper()));
            }

            await system.WaitForJobAsync(alice, ids[0], Started, TimeSpan.FromSeconds(60));
            var waiting = await system.WaitForJobAsync(alice, ids[2], j => Jobs.Status(j) == "queued", TimeSpan.FromSeconds(10));
            Assert.Equal("waiting: user quota 1/1", waiting["message"]!.GetValue<string>());

            var raised = await PutAsync(admin, new { runsPerUser = 3 });
            Assert.Equal(HttpStatusCode.OK, raised.StatusCode);
            var limits = (await raised.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal((3, "override"), Limit(limits, "runsPerUser"));
            Assert.Equal((10, "SERVICE_LIVELIMITS_MAX_RUNS"), Limit(limits, "maxRuns"));

            // Both waiting jobs start without anything else happening, and Alice is told her new limit live.
            foreach (var id in ids)
            {
                await system.WaitForJobAsync(alice, id, Started, TimeSpan.FromSeconds(60));
            }

            await live.WaitForAsync(
                l => l.Quotas.Any(q => q["service"]!.GetValue<string>() == "livelimits" && q["limit"]!.GetValue<int>() == 3),
                TimeSpan.FromSeconds(10));

            // Lowered to 2 while 3 run: a new job waits, and still waits after one of the three ends (2 of 2 run).
            Assert.Equal(HttpStatusCode.OK, (await PutAsync(admin, new { runsPerUser = 2 })).StatusCode);
            ids.Add(await Jobs.SubmitAsync(alice, Sleeper()));
            var held = await system.WaitForJobAsync(alice, ids[3], j => Jobs.Status(j) == "queued", TimeSpan.FromSeconds(10));
            Assert.Equal("waiting: user quota 3/2", held["message"]!.GetValue<string>());
            await CancelAsync(alice, ids[0]);
            await CorralSystem.Terminal(system, alice, ids[0]);
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.Equal("queued", Jobs.Status((await alice.GetFromJsonAsync<JsonObject>($"/api/jobs/{ids[3]}"))!));

            // Another ends: 1 of 2 run, so the waiting job is admitted.
            await CancelAsync(alice, ids[1]);
            await system.WaitForJobAsync(alice, ids[3], Started, TimeSpan.FromSeconds(60));
        }
        finally
        {
            foreach (var id in ids)
            {
                await CancelAsync(alice, id);
            }

            await admin.DeleteAsync(Route);
        }
    }

    [Fact]
    public async Task Get_ShowsTheEffectiveLimitsAndTheirSources_DeleteReturnsToTheSettings()
    {
        using var admin = system.Client(system.AdminToken);
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await PutAsync(admin, new { maxRuns = 4 })).StatusCode);
            var changed = (await admin.GetFromJsonAsync<JsonObject>(Route))!;
            Assert.Equal((4, "override"), Limit(changed, "maxRuns"));
            Assert.Equal((1, "SERVICE_LIVELIMITS_RUNS_PER_USER"), Limit(changed, "runsPerUser"));
            Assert.Equal((0, "default"), Limit(changed, "burstPerUser"));
            Assert.Null(changed["jobsPerHour"]);

            var reset = await admin.DeleteAsync(Route);
            Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
            var after = (await admin.GetFromJsonAsync<JsonObject>(Route))!;
            Assert.Equal((10, "SERVICE_LIVELIMITS_MAX_RUNS"), Limit(after, "maxRuns"));
        }
        finally
        {
            await admin.DeleteAsync(Route);
        }
    }

    [Fact]
    public async Task AJobBudgetSetAtRunTime_HoldsTheNextJobWithItsReason_RaisingItStartsTheJob()
    {
        var token = await system.CreateUserAsync("carol");
        using var carol = system.Client(token);
        using var admin = system.Client(system.AdminToken);
        var ids = new List<string>();
        try
        {
            var set = await PutAsync(admin, new { jobsPerHour = 1, burstPerUser = 0 });
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
            var limits = (await set.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal((1, "override"), Limit(limits, "jobsPerHour"));
            Assert.Equal((0, "override"), Limit(limits, "burstPerUser"));
            Assert.Null(limits["cpuSecondsPerDay"]);
            Assert.Null(limits["gpuSecondsPerDay"]);

            ids.Add(await Jobs.SubmitAsync(carol, Sleeper()));
            ids.Add(await Jobs.SubmitAsync(carol, Sleeper()));
            await system.WaitForJobAsync(carol, ids[0], Started, TimeSpan.FromSeconds(60));
            var waiting = await system.WaitForJobAsync(carol, ids[1], j => Jobs.Status(j) == "queued", TimeSpan.FromSeconds(10));
            Assert.Equal("waiting: user quota 1/1", waiting["message"]!.GetValue<string>());

            // The first job ends: her quota has room, but this hour's one job is spent, so the second still waits.
            await CancelAsync(carol, ids[0]);
            await CorralSystem.Terminal(system, carol, ids[0]);
            var spent = await system.WaitForJobAsync(
                carol, ids[1], j => j["message"]?.GetValue<string>() == "waiting: budget spent (jobs 1/1 per hour)", TimeSpan.FromSeconds(10));
            Assert.Equal("queued", Jobs.Status(spent));

            // Raised at run time: applied to the next decision at once.
            Assert.Equal(HttpStatusCode.OK, (await PutAsync(admin, new { jobsPerHour = 2 })).StatusCode);
            await system.WaitForJobAsync(carol, ids[1], Started, TimeSpan.FromSeconds(60));
        }
        finally
        {
            foreach (var id in ids)
            {
                await CancelAsync(carol, id);
            }

            await admin.DeleteAsync(Route);
        }
    }

    /// <summary>
    /// A ceiling lowered at run time applies to the next job admitted: a job asking for no limit runs under it
    /// (no default set), and is ended at it like a job that asked for it.
    /// </summary>
    [Fact]
    public async Task AMaxDurationLoweredAtRunTime_EndsAJobSubmittedAfterIt_AtTheNewLimit()
    {
        var token = await system.CreateUserAsync("erin");
        using var erin = system.Client(token);
        using var admin = system.Client(system.AdminToken);
        string? id = null;
        try
        {
            var set = await PutAsync(admin, new { maxDurationSeconds = 2 });
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
            var limits = (await set.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal((2, "override"), Limit(limits, "maxDurationSeconds"));
            Assert.Null(limits["defaultDurationSeconds"]);

            id = await Jobs.SubmitAsync(erin, Sleeper(sleep: 60));
            var done = await CorralSystem.Terminal(system, erin, id);
            Assert.Equal(("failed", "max_duration_exceeded"), (Jobs.Status(done), Jobs.Reason(done)));
            Assert.Equal("ran past its maximum duration of 2 s", done["message"]!.GetValue<string>());
            Assert.Equal(2, done["maxDurationSeconds"]!.GetValue<int>());
            var ran = done["finishedAt"]!.GetValue<DateTimeOffset>() - done["startedAt"]!.GetValue<DateTimeOffset>();
            Assert.InRange(ran.TotalSeconds, 1, 12);
        }
        finally
        {
            if (id is not null)
            {
                await CancelAsync(erin, id);
            }

            await admin.DeleteAsync(Route);
        }
    }

    [Fact]
    public async Task Put_ADefaultDurationAboveTheCeiling_Is400NamingTheField_AndChangesNothing()
    {
        using var admin = system.Client(system.AdminToken);
        try
        {
            var response = await PutAsync(admin, new { defaultDurationSeconds = 600, maxDurationSeconds = 60 });

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Contains("more than the service's maximum duration, 60", problem["errors"]!["defaultDurationSeconds"]![0]!.GetValue<string>());
            Assert.Null((await admin.GetFromJsonAsync<JsonObject>(Route))!["maxDurationSeconds"]);
        }
        finally
        {
            await admin.DeleteAsync(Route);
        }
    }

    [Fact]
    public async Task Put_FairnessSetAtRunTime_IsShownWithItsSource_ABadOneNamesTheAllowedValues()
    {
        using var admin = system.Client(system.AdminToken);
        try
        {
            var before = (await admin.GetFromJsonAsync<JsonObject>(Route))!;
            Assert.Equal("usage", before["fairness"]!["value"]!.GetValue<string>());
            Assert.Equal((3600, "default"), Limit(before, "fairShareHalfLifeSeconds"));

            var set = await PutAsync(admin, new { fairness = "ROUND_ROBIN", fairShareHalfLifeSeconds = 600 });
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
            var limits = (await set.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal(("round_robin", "override"), (limits["fairness"]!["value"]!.GetValue<string>(), limits["fairness"]!["source"]!.GetValue<string>()));
            Assert.Equal((600, "override"), Limit(limits, "fairShareHalfLifeSeconds"));

            var bad = await PutAsync(admin, new { fairness = "fifo" });
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            var problem = (await bad.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal("must be 'usage' or 'round_robin'", problem["errors"]!["fairness"]![0]!.GetValue<string>());
        }
        finally
        {
            await admin.DeleteAsync(Route);
        }
    }

    [Theory]
    [InlineData("{\"runsPerUser\": 0}", "runsPerUser")]
    [InlineData("{\"maxRuns\": \"ten\"}", "maxRuns")]
    [InlineData("{\"maxRuns\": 2.5}", "maxRuns")]
    [InlineData("{\"runsPerUser\": 1000000}", "runsPerUser")]
    [InlineData("{\"cpuSecondsPerDay\": 0}", "cpuSecondsPerDay")]
    [InlineData("{\"gpuSecondsPerDay\": 2000000000}", "gpuSecondsPerDay")]
    [InlineData("{\"jobsPerHour\": -1}", "jobsPerHour")]
    [InlineData("{\"burstPerUser\": -1}", "burstPerUser")]
    [InlineData("{\"burstPerUser\": null}", "burstPerUser")]
    [InlineData("{\"hoursPerDay\": 3}", "hoursPerDay")]
    [InlineData("{\"preemption\": \"yes\"}", "preemption")]
    [InlineData("{\"preemption\": 1}", "preemption")]
    [InlineData("{\"maxDurationSeconds\": 0}", "maxDurationSeconds")]
    [InlineData("{\"defaultDurationSeconds\": 2592001}", "defaultDurationSeconds")]
    [InlineData("{\"fairShareHalfLifeSeconds\": 0}", "fairShareHalfLifeSeconds")]
    [InlineData("{\"fairness\": 1}", "fairness")]
    [InlineData("{\"preemptionGraceSeconds\": -1}", "preemptionGraceSeconds")]
    [InlineData("{\"preemptionGraceSeconds\": 3601}", "preemptionGraceSeconds")]
    [InlineData("{}", "body")]
    [InlineData("[1]", "body")]
    public async Task Put_BadBody_Is400NamingTheField(string body, string field)
    {
        using var admin = system.Client(system.AdminToken);
        var response = await admin.PutAsync(Route, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.NotNull(problem["errors"]![field]);
    }

    [Theory]
    [InlineData("maxRuns")]
    [InlineData("burstPerUser")]
    [InlineData("fairShareHalfLifeSeconds")]
    public async Task Put_ACapOrBurstOnAServiceWithoutACap_Is400NamingTheFieldAndTheSetting(string field)
    {
        using var admin = system.Client(system.AdminToken);
        var response = await admin.PutAsJsonAsync("/api/quotas/services/example", new Dictionary<string, int> { [field] = 2 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Contains("SERVICE_EXAMPLE_MAX_RUNS", problem["errors"]![field]![0]!.GetValue<string>());
        var limits = (await admin.GetFromJsonAsync<JsonObject>("/api/quotas/services/example"))!;
        Assert.Null(limits["maxRuns"]);
        Assert.NotEqual("override", limits["runsPerUser"]!["source"]!.GetValue<string>());
    }

    [Fact]
    public async Task Put_PreemptionOnAServiceWithoutACap_TurnsItOnWithinEachUsersQuota_AndDeleteTurnsItBack()
    {
        using var admin = system.Client(system.AdminToken);
        try
        {
            var response = await admin.PutAsJsonAsync("/api/quotas/services/example", new { preemption = true });

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var limits = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.True(limits["preemption"]!["value"]!.GetValue<bool>());
            Assert.Equal("override", limits["preemption"]!["source"]!.GetValue<string>());
            Assert.Null(limits["maxRuns"]);
        }
        finally
        {
            await admin.DeleteAsync("/api/quotas/services/example");
        }

        var after = (await admin.GetFromJsonAsync<JsonObject>("/api/quotas/services/example"))!;
        Assert.False(after["preemption"]!["value"]!.GetValue<bool>());
        Assert.Equal("default", after["preemption"]!["source"]!.GetValue<string>());
    }

    [Fact]
    public async Task Put_FairnessOnAServiceWithoutACap_Is400NamingTheFieldAndTheSetting()
    {
        using var admin = system.Client(system.AdminToken);
        var response = await admin.PutAsJsonAsync("/api/quotas/services/example", new { fairness = "round_robin" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Contains("SERVICE_EXAMPLE_MAX_RUNS", problem["errors"]!["fairness"]![0]!.GetValue<string>());
        Assert.Null((await admin.GetFromJsonAsync<JsonObject>("/api/quotas/services/example"))!["fairness"]);
    }

    /// <summary>
    /// A service without a cap admits in each user's own grain: a limit set before the user's first job is read when
    /// that grain starts; one raised while jobs wait reaches it and starts them at once.
    /// </summary>
    [Fact]
    public async Task AServiceWithoutACap_TakesItsRunsPerUserAtRunTime()
    {
        const string route = "/api/quotas/services/nocaplimits";
        var token = await system.CreateUserAsync("dora");
        using var dora = system.Client(token);
        using var admin = system.Client(system.AdminToken);
        var ids = new List<string>();
        try
        {
            var set = await admin.PutAsJsonAsync(route, new { runsPerUser = 1 });
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
            var limits = (await set.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal((1, "override"), Limit(limits, "runsPerUser"));
            Assert.Null(limits["maxRuns"]);

            ids.Add(await Jobs.SubmitAsync(dora, Sleeper("nocaplimits")));
            ids.Add(await Jobs.SubmitAsync(dora, Sleeper("nocaplimits")));
            await system.WaitForJobAsync(dora, ids[0], Started, TimeSpan.FromSeconds(60));
            var waiting = await system.WaitForJobAsync(dora, ids[1], j => Jobs.Status(j) == "queued", TimeSpan.FromSeconds(10));
            Assert.Equal("waiting: user quota 1/1", waiting["message"]!.GetValue<string>());

            Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync(route, new { runsPerUser = 2 })).StatusCode);
            await system.WaitForJobAsync(dora, ids[1], Started, TimeSpan.FromSeconds(60));

            // Back to the settings (DELETE): the source says so.
            Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync(route)).StatusCode);
            Assert.NotEqual("override", (await admin.GetFromJsonAsync<JsonObject>(route))!["runsPerUser"]!["source"]!.GetValue<string>());
        }
        finally
        {
            foreach (var id in ids)
            {
                await CancelAsync(dora, id);
            }

            await admin.DeleteAsync(route);
        }
    }

    [Fact]
    public async Task NonAdmin_Is403_AndNothingChanges()
    {
        using var bob = system.Client(await system.CreateUserAsync("bob"));
        using var admin = system.Client(system.AdminToken);

        Assert.Equal(HttpStatusCode.Forbidden, (await PutAsync(bob, new { runsPerUser = 9 })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync(Route)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.DeleteAsync(Route)).StatusCode);
        var limits = (await admin.GetFromJsonAsync<JsonObject>(Route))!;
        Assert.Equal((1, "SERVICE_LIVELIMITS_RUNS_PER_USER"), Limit(limits, "runsPerUser"));
    }

    private static Task<HttpResponseMessage> PutAsync(HttpClient client, object body) => client.PutAsJsonAsync(Route, body);

    private static (int, string) Limit(JsonObject limits, string name) =>
        (limits[name]!["value"]!.GetValue<int>(), limits[name]!["source"]!.GetValue<string>());

    private static bool Started(JsonObject job) => Jobs.Status(job) is "running" or "starting";

    private static async Task CancelAsync(HttpClient client, string id) => await client.PostAsync($"/api/jobs/{id}/cancel", null);

    private static object Sleeper(string service = "livelimits", int sleep = 300) => new
    {
        service,
        image = "corral/busybox:latest",
        command = new[] { "sleep", sleep.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        resources = new { cpu = 0.1, memory = "16Mi", pids = 16 },
    };
}
