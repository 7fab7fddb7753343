using Microsoft.Playwright;
using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>The web page in real headless Chromium, against the running system. Screenshots go to artifacts/screenshots.</summary>
[Collection(SystemCollection.Name)]
public sealed class BrowserTests(CorralSystem system, BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private IBrowserContext _context = null!;

    public async Task InitializeAsync() => _context = await browser.Browser.NewContextAsync(new() { BaseURL = system.BaseAddress.ToString() });

    public Task DisposeAsync() => _context.DisposeAsync().AsTask();

    [Fact]
    public async Task SubmitFromTheForm_WatchItGoQueuedRunningSucceeded_AndItsLogsAppear_WithoutReloading()
    {
        var token = await system.CreateUserAsync("alice");
        // Hold the only slot of service "tight" (1 run per user), so the form's job visibly waits first.
        using var http = system.Client(token);
        var blocker = await Jobs.SubmitAsync(http, Jobs.Shell("sleep 4", service: "tight"));
        var page = await SignInAsync(token);
        await page.EvaluateAsync("window.__sameDocument = true");

        await page.FillAsync("#submit-form [name=service]", "tight");
        await page.FillAsync("#submit-form [name=command]", "echo hello from the browser; sleep 2; echo bye");
        await page.FillAsync("#submit-form [name=cpu]", "0.25");
        await page.ClickAsync("#submit-form button[type=submit]");

        var status = page.Locator("dd[data-fact=status]");
        await Assertions.Expect(status).ToHaveTextAsync("queued", new() { Timeout = 15_000 });
        await page.ScreenshotAsync(new() { Path = Shot("job-queued") });
        await Assertions.Expect(status).ToHaveTextAsync("running", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#logs")).ToContainTextAsync("hello from the browser", new() { Timeout = 30_000 });
        await page.ScreenshotAsync(new() { Path = Shot("job-running") });
        await Assertions.Expect(status).ToHaveTextAsync("succeeded", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#logs")).ToContainTextAsync("bye", new() { Timeout = 15_000 });
        await page.ScreenshotAsync(new() { Path = Shot("job-succeeded") });
        Assert.True(await page.EvaluateAsync<bool>("window.__sameDocument === true"), "the page reloaded");

        await page.ClickAsync("text=← all jobs");
        await Assertions.Expect(page.Locator("#quotas tr[data-service=tight]")).ToContainTextAsync("/1");
        await page.ScreenshotAsync(new() { Path = Shot("jobs-list") });
        await CorralSystem.Terminal(system, http, blocker);
    }

    [Fact]
    public async Task ALongLog_ShowsItsEnd_AndLoadsEarlierOutputOnDemand()
    {
        var token = await system.CreateUserAsync("alice");
        using var http = system.Client(token);
        var id = await Jobs.SubmitAsync(http, Jobs.Shell("echo the very first line"));
        await CorralSystem.Terminal(system, http, id);
        // More output than one page (256 KiB), stored after the job's own: 6 chunks of 100,000 bytes.
        await using (var database = Npgsql.NpgsqlDataSource.Create(system.ConnectionString))
        {
            for (var i = 1; i <= 6; i++)
            {
                await using var insert = database.CreateCommand("INSERT INTO corral_job_logs (job_id, seq, content) VALUES ($1, $2, $3)");
                insert.Parameters.AddWithValue(id);
                insert.Parameters.AddWithValue((long)i);
                insert.Parameters.AddWithValue(System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat($"filler {i} ", 10_000))));
                await insert.ExecuteNonQueryAsync();
            }
        }

        var page = await SignInAsync(token);
        await page.GotoAsync($"/#/jobs/{id}");
        var logs = page.Locator("#logs");
        await Assertions.Expect(logs).ToContainTextAsync("filler 6", new() { Timeout = 30_000 });
        Assert.DoesNotContain("the very first line", await logs.TextContentAsync());
        await page.ScreenshotAsync(new() { Path = Shot("log-tail") });

        // Two pages back reach the first line; then there is nothing earlier to load.
        await page.ClickAsync("#load-earlier");
        await Assertions.Expect(logs).ToContainTextAsync("filler 3");
        await page.ClickAsync("#load-earlier");
        await Assertions.Expect(logs).ToContainTextAsync("the very first line");
        await Assertions.Expect(page.Locator("#logs-earlier")).ToBeHiddenAsync();
        Assert.Equal(await http.GetStringAsync($"/api/jobs/{id}/logs"), await logs.TextContentAsync());
    }

    [Fact]
    public async Task CancelARunningJob_FromItsPage()
    {
        var token = await system.CreateUserAsync("alice");
        using var http = system.Client(token);
        var id = await Jobs.SubmitAsync(http, Jobs.Shell("sleep 300"));
        var page = await SignInAsync(token);
        await page.GotoAsync($"/#/jobs/{id}");
        var status = page.Locator("dd[data-fact=status]");
        await Assertions.Expect(status).ToHaveTextAsync("running", new() { Timeout = 60_000 });

        await page.ClickAsync("#cancel");

        await Assertions.Expect(status).ToHaveTextAsync("cancelled", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("dd[data-fact=reason]")).ToHaveTextAsync("cancelled_by_user");
        await page.ScreenshotAsync(new() { Path = Shot("job-cancelled") });
    }

    [Fact]
    public async Task AQuotaKill_ShowsItsReason_InTheListAndOnTheJobPage()
    {
        // The system runs with LOG_QUOTA_PER_JOB_HOUR=20000.
        var token = await system.CreateUserAsync("alice");
        using var http = system.Client(token);
        var page = await SignInAsync(token);
        var id = await Jobs.SubmitAsync(http, Jobs.Shell("while true; do echo spam spam spam spam; done"));

        var row = page.Locator($"#jobs tr[data-job-id='{id}']");
        await Assertions.Expect(row).ToContainTextAsync("log_quota_exceeded", new() { Timeout = 60_000 });
        await page.ScreenshotAsync(new() { Path = Shot("quota-exceeded-list") });
        await page.GotoAsync($"/#/jobs/{id}");
        await Assertions.Expect(page.Locator("dd[data-fact=reason]")).ToHaveTextAsync("log_quota_exceeded", new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#logs")).ToContainTextAsync("spam spam");
        await page.ScreenshotAsync(new() { Path = Shot("quota-exceeded-job") });
    }

    [Fact]
    public async Task ABadFormValue_IsAnsweredWithAClearMessage()
    {
        var page = await SignInAsync(await system.CreateUserAsync("alice"));
        await page.FillAsync("#submit-form [name=memory]", "12XB");
        await page.ClickAsync("#submit-form button[type=submit]");

        var error = page.Locator("#error");
        await Assertions.Expect(error).ToBeVisibleAsync();
        await Assertions.Expect(error).ToContainTextAsync("resources.memory");
        await Assertions.Expect(error).ToContainTextAsync("12XB");
        await page.ScreenshotAsync(new() { Path = Shot("bad-form-value") });
    }

    [Fact]
    public async Task AWrongToken_IsRefusedAtSignIn_AndAnAdminSeesTheWorkersAndEveryonesJobs()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var alicesJob = await Jobs.SubmitAsync(alice, Jobs.Shell("true"));
        var page = await _context.NewPageAsync();
        await page.GotoAsync("/");
        await page.FillAsync("#token", "corral_wrongwrongwrongwrong");
        await page.ClickAsync("#sign-in-form button");
        await Assertions.Expect(page.Locator("#error")).ToContainTextAsync("Sign-in failed");
        await page.ScreenshotAsync(new() { Path = Shot("sign-in-refused") });

        var admin = await SignInAsync(system.AdminToken);
        await Assertions.Expect(admin.Locator("#workers")).ToContainTextAsync(system.WorkerName, new() { Timeout = 15_000 });
        try
        {
            await Assertions.Expect(admin.Locator($"#jobs tr[data-job-id='{alicesJob}']")).ToBeVisibleAsync();
        }
        catch (PlaywrightException error)
        {
            // The admin's job list comes over the hub: when it is missing, the gateway's log says why.
            throw new PlaywrightException($"{error.Message}\n{system.Diagnostics()}");
        }

        await admin.ScreenshotAsync(new() { Path = Shot("admin-workers"), FullPage = true });
    }

    [Fact]
    public async Task AnAdmin_SeesJobsByServiceAndRecentFailuresByReason()
    {
        using var carol = system.Client(await system.CreateUserAsync("carol"));
        var service = "ops-view-" + Guid.NewGuid().ToString("N")[..6];
        var sleeper = await Jobs.SubmitAsync(carol, Jobs.Shell("sleep 60", service));
        await system.WaitForJobAsync(carol, sleeper, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));
        var failing = await Jobs.SubmitAsync(carol, Jobs.Shell("exit 7", service));
        await CorralSystem.Terminal(system, carol, failing);

        var admin = await SignInAsync(system.AdminToken);
        var load = admin.Locator("#service-load tr", new() { HasText = service });
        await Assertions.Expect(load).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Assertions.Expect(load.Locator("td").Nth(3)).ToHaveTextAsync("1");
        await Assertions.Expect(admin.Locator("#recent-failures")).ToContainTextAsync("exit_code");
        await admin.ScreenshotAsync(new() { Path = Shot("admin-operations"), FullPage = true });
        await carol.PostAsync($"/api/jobs/{sleeper}/cancel", null);
    }

    private async Task<IPage> SignInAsync(string token)
    {
        var page = await _context.NewPageAsync();
        await page.GotoAsync("/");
        await page.FillAsync("#token", token);
        await page.ClickAsync("#sign-in-form button");
        await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("live", new() { Timeout = (float)Patience.TotalMilliseconds });
        return page;
    }

    private static string Shot(string name) => Path.Combine(BrowserFixture.ScreenshotFolder, name + ".png");
}
