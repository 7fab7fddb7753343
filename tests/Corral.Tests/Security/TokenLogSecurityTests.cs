using Corral.Tests.EndToEnd;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Playwright;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>
/// The browser's hub connection carries its token in the URL (WebSockets cannot send headers), and request lines
/// are logged: after a sign-in through the web page and a hub client with the token in its query, no log of the
/// running system's processes holds the token.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class TokenLogSecurityTests(CorralSystem system, BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task ASignInThroughThePage_AndAHubClientWithTheTokenInItsQuery_LeaveTheTokenInNoLog()
    {
        var token = await system.CreateUserAsync("logged");
        await using (var context = await browser.Browser.NewContextAsync(new() { BaseURL = system.BaseAddress.ToString() }))
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync("/");
            await page.FillAsync("#token", token);
            await page.ClickAsync("#sign-in-form button");
            await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("live", new() { Timeout = 60_000 });
        }

        // The query, as a browser sends it, on negotiate and on the WebSocket itself.
        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(system.BaseAddress, $"/hubs/jobs?access_token={token}"), HttpTransportType.WebSockets)
            .Build();
        await hub.StartAsync();
        await hub.DisposeAsync();
        // A REST call with the token in the query too: refused, and logged like any request.
        using (var anonymous = system.Client(null))
        {
            await anonymous.GetAsync($"/api/me?access_token={token}");
        }

        // The console logger writes from a queue: give it a moment to catch up.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!system.Gateway.Output.Contains("/api/me?access_token=", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        // The request lines are there (so the check below reads what was logged), with the token taken out.
        Assert.Contains("/hubs/jobs", system.Gateway.Output);
        Assert.Contains("access_token=[redacted]", system.Gateway.Output);
        foreach (var process in new[] { system.Silo, system.HostAgent, system.Gateway })
        {
            Assert.False(process.Output.Contains(token, StringComparison.Ordinal), $"{process.Name}'s log holds the user's token");
            Assert.False(process.Output.Contains(system.AdminToken, StringComparison.Ordinal), $"{process.Name}'s log holds the admin token");
        }
    }

    [Fact]
    public async Task TheLogFileTheDeployScriptsStartAProcessWith_IsReadableByItsOwnerOnly()
    {
        var folder = Directory.CreateTempSubdirectory("corral-log-mode-");
        try
        {
            // A stand-in for dotnet, so the function runs without starting Corral.
            var bin = Directory.CreateDirectory(Path.Combine(folder.FullName, "bin"));
            var dotnet = Path.Combine(bin.FullName, "dotnet");
            await File.WriteAllTextAsync(dotnet, "#!/bin/sh\necho \"started $1\"\n");
            File.SetUnixFileMode(dotnet, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var logs = Path.Combine(folder.FullName, "logs");
            Directory.CreateDirectory(logs);
            // One log left world-readable by an older start, and one new.
            var old = Path.Combine(logs, "gateway.log");
            await File.WriteAllTextAsync(old, "old\n");
            File.SetUnixFileMode(old, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

            var result = await CommandRunner.RunAsync(
                "bash",
                ["-c", $"set -euo pipefail\numask 022\nsource deploy/lib/processes.sh\nfor n in gateway silo; do corral_proc_start $n '{folder.FullName}/run' '{logs}' fake.dll; done\nsleep 0.5"],
                TimeSpan.FromSeconds(30),
                new Dictionary<string, string> { ["PATH"] = $"{bin.FullName}:{Environment.GetEnvironmentVariable("PATH")}" },
                TestEnvironment.RepositoryRoot);

            Assert.True(result.ExitCode == 0, $"corral_proc_start failed ({result.ExitCode}):\n{result.Output}{result.Error}");
            foreach (var name in new[] { "gateway", "silo" })
            {
                var log = Path.Combine(logs, name + ".log");
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(log));
                Assert.Contains("started fake.dll", await File.ReadAllTextAsync(log));
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
