using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Corral.Tests.EndToEnd;
using Xunit;
using JobCalls = Corral.Tests.EndToEnd.Jobs;

namespace Corral.Tests.Security;

/// <summary>
/// Strangers who can reach an SSH session's port cannot spend its log quota: the server's per-connection lines
/// (a failed login writes two) stay out of the job's log.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class SshLogSecurityTests(CorralSystem system)
{
    private const int FailedLogins = 50;

    private const int LoginsAtOnce = 5;

    // Without the filter each failed login logs about 200 bytes ("Child connection from", "Exit before auth").
    private const int AllowedGrowth = 200;

    [Fact]
    public async Task FiftyFailedLogins_DoNotGrowTheJobsLog_AndTheSessionKeepsRunning()
    {
        using var key = await SshClient.CreateAsync();
        using var stranger = await SshClient.CreateAsync();
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await JobCalls.SubmitAsync(alice, new { service = "ssh", kind = "ssh", sshPublicKey = key.PublicKey });
        try
        {
            var job = await system.WaitForJobAsync(alice, id, j => JobCalls.Status(j) == "running", TimeSpan.FromSeconds(60));
            var login = await key.RunAsync(job, "echo in");
            Assert.True(login.ExitCode == 0, login.Error);
            var before = await StableLogAsync(alice, id);
            Assert.Contains("corral-ssh: host key", before, StringComparison.Ordinal);

            // Batches below dropbear's own limit of unauthenticated connections from one address (5): past it, it
            // closes connections before they can fail a login.
            for (var batch = 0; batch < FailedLogins; batch += LoginsAtOnce)
            {
                var attempts = await Task.WhenAll(Enumerable.Range(0, LoginsAtOnce).Select(_ => stranger.RunAsync(job, "true")));
                Assert.All(attempts, a => Assert.True(a.ExitCode == 255 && a.Error.Contains("Permission denied", StringComparison.Ordinal), a.Error));
            }

            var after = await StableLogAsync(alice, id);
            Assert.True(after.Length - before.Length <= AllowedGrowth, $"the log grew by {after.Length - before.Length} bytes: {after[before.Length..]}");
            var still = (await alice.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}"))!;
            Assert.Equal("running", JobCalls.Status(still));
            var again = await key.RunAsync(still, "echo alive");
            Assert.Equal((0, "alive\n"), (again.ExitCode, again.Output));
        }
        finally
        {
            await alice.PostAsync($"/api/jobs/{id}/cancel", null);
        }
    }

    /// <summary>The stored log once it stops changing (the agent stores what the session wrote within moments).</summary>
    private static async Task<string> StableLogAsync(HttpClient client, string id)
    {
        var last = await client.GetStringAsync($"/api/jobs/{id}/logs");
        for (var i = 0; i < 20; i++)
        {
            await Task.Delay(500);
            var now = await client.GetStringAsync($"/api/jobs/{id}/logs");
            if (now == last && i >= 3)
            {
                return now;
            }

            last = now;
        }

        return last;
    }
}
