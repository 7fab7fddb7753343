using System.Text.Json;
using System.Text.Json.Nodes;
using Corral.Tests.EndToEnd;
using Xunit;

namespace Corral.Tests.Cli;

/// <summary>The built corral client against the running system, as a user in a terminal or a script uses it.</summary>
[Collection(SystemCollection.Name)]
public sealed class CliEndToEndTests(CorralSystem system) : IDisposable
{
    private readonly CorralCli _cli = new();

    [Fact]
    public async Task Login_ChecksTheTokenAndStoresItPrivately_ThenWhoamiUsesIt()
    {
        var token = await system.CreateUserAsync("clilogin");
        var url = system.BaseAddress.ToString();

        var wrong = await _cli.RunAsync(["login", "--url", url], input: "not-a-token\n");
        Assert.Equal(1, wrong.ExitCode);
        Assert.False(File.Exists(_cli.ConfigFile), "a token the API refused was stored");

        var login = await _cli.RunAsync(["login", "--url", url], input: token + "\n");
        Assert.True(login.ExitCode == 0, login.Error);
        Assert.Contains("clilogin", login.Output);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_cli.ConfigFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(_cli.ConfigFile)!));
        Assert.Contains(token, await File.ReadAllTextAsync(_cli.ConfigFile));

        var whoami = await _cli.RunAsync(["whoami", "-o", "json"]);
        Assert.True(whoami.ExitCode == 0, whoami.Error);
        var me = JsonNode.Parse(whoami.Output)!;
        Assert.StartsWith("clilogin", me["name"]!.GetValue<string>());
        Assert.False(me["isAdmin"]!.GetValue<bool>());

        // The environment wins over the stored config.
        var asAdmin = await _cli.RunAsync(["whoami", "--output", "json"], new Dictionary<string, string> { ["CORRAL_TOKEN"] = system.AdminToken });
        Assert.True(JsonNode.Parse(asAdmin.Output)!["isAdmin"]!.GetValue<bool>(), asAdmin.Output + asAdmin.Error);
    }

    [Fact]
    public async Task RunAttach_PrintsTheOutputAndExitsWithTheJobsExitCode()
    {
        var user = await UserAsync("cliattach");

        var run = await _cli.RunAsync(
            ["run", "--service", "cli", "--image", "corral/busybox:latest", "--cpu", "0.25", "--memory", "64Mi", "--attach", "--", "sh", "-c", "echo hi; exit 3"],
            user, timeout: TimeSpan.FromSeconds(120));

        Assert.True(run.ExitCode == 3, $"exit {run.ExitCode}\n{run.Output}\n{run.Error}\n{system.Diagnostics()}");
        Assert.Equal("hi\n", run.Output);
        Assert.Contains("failed: exit_code (exit code 3)", run.Error);
    }

    [Fact]
    public async Task Ps_ShowsAJob_AndCancelEndsIt()
    {
        var user = await UserAsync("clips");
        var submit = await _cli.RunAsync(["run", "-s", "cli", "--image", "corral/busybox:latest", "--cpu", "0.25", "--memory", "64Mi", "--", "sleep", "300"], user);
        Assert.True(submit.ExitCode == 0, submit.Error);
        var id = submit.Output.Trim();

        var ps = await _cli.RunAsync(["ps"], user);
        Assert.True(ps.ExitCode == 0, ps.Error);
        Assert.Contains("STATUS", ps.Output);
        var row = ps.Output.Split('\n').Single(line => line.Contains(id, StringComparison.Ordinal));
        Assert.Contains("cli", row);
        Assert.Matches("queued|pending|starting|running", row);

        var cancel = await _cli.RunAsync(["cancel", id], user);
        Assert.True(cancel.ExitCode == 0, cancel.Error);
        Assert.StartsWith(id + ": ", cancel.Output);

        using var client = system.Client(user["CORRAL_TOKEN"]);
        var done = await CorralSystem.Terminal(system, client, id);
        Assert.Equal("cancelled", done["status"]!.GetValue<string>());
        var live = await _cli.RunAsync(["ps"], user);
        Assert.DoesNotContain(id, live.Output);
        var all = await _cli.RunAsync(["ps", "-a", "--status", "cancelled", "-o", "json"], user);
        var jobs = JsonNode.Parse(all.Output)!.AsArray();
        Assert.Contains(jobs, job => job!["id"]!.GetValue<string>() == id && job["terminationReason"]!.GetValue<string>() == "cancelled_by_user");

        var unknown = await _cli.RunAsync(["cancel", "no-such-job"], user);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no-such-job", unknown.Error);
    }

    [Fact]
    public async Task LogsFollow_PrintsEveryLineOnceInOrder_UntilTheJobEnds()
    {
        var user = await UserAsync("clilogs");
        var submit = await _cli.RunAsync(
            ["run", "-s", "cli", "--image", "corral/busybox:latest", "--cpu", "0.25", "--memory", "64Mi", "--",
                "sh", "-c", "for i in $(seq 1 30); do echo line $i; sleep 0.1; done"],
            user);
        Assert.True(submit.ExitCode == 0, submit.Error);
        var id = submit.Output.Trim();

        var follow = await _cli.RunAsync(["logs", "-f", id], user, timeout: TimeSpan.FromSeconds(120));

        Assert.True(follow.ExitCode == 0, follow.Error);
        Assert.Equal(string.Concat(Enumerable.Range(1, 30).Select(i => $"line {i}\n")), follow.Output);
        var stored = await _cli.RunAsync(["logs", id], user);
        Assert.Equal(follow.Output, stored.Output);
    }

    [Fact]
    public async Task LogsFollow_ResumesAcrossAGatewayRestart_WithNoLineLostOrRepeated()
    {
        var user = await UserAsync("clirestart");
        var (gateway, address) = await system.StartExtraGatewayAsync();
        try
        {
            var viaRestarted = new Dictionary<string, string>(user) { ["CORRAL_URL"] = address.ToString() };
            var submit = await _cli.RunAsync(
                ["run", "-s", "cli", "--image", "corral/busybox:latest", "--cpu", "0.25", "--memory", "64Mi", "--",
                    "sh", "-c", "for i in $(seq 1 60); do echo line $i; sleep 0.25; done"],
                user);
            Assert.True(submit.ExitCode == 0, submit.Error);
            var id = submit.Output.Trim();
            var follow = _cli.RunAsync(["logs", "-f", id], viaRestarted, timeout: TimeSpan.FromSeconds(180));

            using var client = system.Client(user["CORRAL_TOKEN"]);
            var deadline = DateTime.UtcNow.AddSeconds(90);
            var stored = "";
            // Far enough in that the client is following (its process starts in a second or two), well before the end.
            while (!stored.Contains("line 20\n", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
                stored = await client.GetStringAsync($"/api/jobs/{id}/logs");
            }

            gateway.Kill();
            Assert.DoesNotContain("line 60\n", await client.GetStringAsync($"/api/jobs/{id}/logs"));
            await Task.Delay(TimeSpan.FromSeconds(2));
            gateway.Start();

            var result = await follow;
            Assert.True(result.ExitCode == 0, result.Error + "\n" + gateway.Output);
            Assert.Equal(string.Concat(Enumerable.Range(1, 60).Select(i => $"line {i}\n")), result.Output);
        }
        finally
        {
            gateway.Dispose();
        }
    }

    [Fact]
    public async Task JsonOutput_IsTheApisJson()
    {
        var user = await UserAsync("clijson");
        var submit = await _cli.RunAsync(["run", "-o", "json", "-s", "cli", "--image", "corral/busybox:latest", "--cpu", "0.25", "--memory", "64Mi", "--", "true"], user);
        Assert.True(submit.ExitCode == 0, submit.Error);
        var accepted = JsonNode.Parse(submit.Output)!;
        var id = accepted["id"]!.GetValue<string>();
        Assert.Contains(accepted["status"]!.GetValue<string>(), new[] { "queued", "pending", "starting", "running", "succeeded" });

        var show = await _cli.RunAsync(["show", id, "-o", "json"], user);
        var view = JsonNode.Parse(show.Output)!;
        Assert.Equal(id, view["id"]!.GetValue<string>());
        Assert.Equal(["true"], view["command"]!.AsArray().Select(c => c!.GetValue<string>()));

        var quotas = await _cli.RunAsync(["quotas", "-o", "json"], user);
        Assert.Contains(JsonNode.Parse(quotas.Output)!.AsArray(), q => q!["service"]!.GetValue<string>() == "cli");

        var ps = await _cli.RunAsync(["ps", "-a", "-o", "json"], user);
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(ps.Output).RootElement.ValueKind);
        Assert.Contains(JsonNode.Parse(ps.Output)!.AsArray(), job => job!["id"]!.GetValue<string>() == id);
    }

    [Theory]
    [InlineData("lots")]
    [InlineData("-1")]
    public async Task ABadCpuValue_PrintsTheApisErrorNamingTheField(string cpu)
    {
        var user = await UserAsync("clibad");

        var run = await _cli.RunAsync(["run", "-s", "cli", "--cpu", cpu, "--", "true"], user);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("resources.cpu", run.Error);
        Assert.Contains("HTTP 400", run.Error);
        Assert.Equal("", run.Output);
    }

    [Fact]
    public async Task UsageErrors_ExitWithTwo()
    {
        var user = await UserAsync("cliusage");
        Assert.Equal(2, (await _cli.RunAsync(["run", "--env", "NOEQUALS", "--", "true"], user)).ExitCode);
        Assert.Equal(2, (await _cli.RunAsync(["ps", "--no-such-option"], user)).ExitCode);
        Assert.Equal(2, (await _cli.RunAsync(["ps", "-o", "yaml"], user)).ExitCode);
        var nobody = await _cli.RunAsync(["ps"]);
        Assert.Equal(1, nobody.ExitCode);
        Assert.Contains("corral login", nobody.Error);
    }

    [Fact]
    public async Task Admin_AddsAUser_WhoseTokenWorks_AndSeesTheWorkers()
    {
        var admin = new Dictionary<string, string> { ["CORRAL_URL"] = system.BaseAddress.ToString(), ["CORRAL_TOKEN"] = system.AdminToken };
        var name = "cliadded" + Guid.NewGuid().ToString("N")[..6];

        var add = await _cli.RunAsync(["users", "add", name], admin);
        Assert.True(add.ExitCode == 0, add.Error);
        var token = add.Output.Trim();
        var whoami = await _cli.RunAsync(["whoami"], new Dictionary<string, string> { ["CORRAL_URL"] = system.BaseAddress.ToString(), ["CORRAL_TOKEN"] = token });
        Assert.Contains(name, whoami.Output);

        var again = await _cli.RunAsync(["users", "add", name], admin);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("name: user", again.Error);

        var workers = await _cli.RunAsync(["workers"], admin);
        Assert.True(workers.ExitCode == 0, workers.Error);
        Assert.Contains(system.WorkerName, workers.Output);
        var forbidden = await _cli.RunAsync(["workers"], new Dictionary<string, string> { ["CORRAL_URL"] = system.BaseAddress.ToString(), ["CORRAL_TOKEN"] = token });
        Assert.Equal(1, forbidden.ExitCode);
    }

    public void Dispose() => _cli.Dispose();

    private async Task<Dictionary<string, string>> UserAsync(string prefix) => new()
    {
        ["CORRAL_URL"] = system.BaseAddress.ToString(),
        ["CORRAL_TOKEN"] = await system.CreateUserAsync(prefix),
    };
}
