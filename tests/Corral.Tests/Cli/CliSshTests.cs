using System.Text.Json.Nodes;
using Corral.Tests.EndToEnd;
using Xunit;

namespace Corral.Tests.Cli;

/// <summary>`corral run --ssh-key` starts a session and `corral ssh` logs into it with the user's key, as a user does.</summary>
[Collection(SystemCollection.Name)]
public sealed class CliSshTests(CorralSystem system) : IDisposable
{
    private readonly CorralCli _cli = new();
    private readonly string _keys = Directory.CreateTempSubdirectory("corral-cli-ssh-").FullName;

    [Fact]
    public async Task RunWithAnSshKey_ThenSsh_RunsACommandInTheSession_WithSshsExitCode()
    {
        var key = Path.Combine(_keys, "id_ed25519");
        var keygen = await CommandRunner.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", string.Empty, "-f", key], TimeSpan.FromSeconds(30));
        Assert.True(keygen.ExitCode == 0, keygen.Error);
        var user = new Dictionary<string, string>
        {
            ["CORRAL_URL"] = system.BaseAddress.ToString(),
            ["CORRAL_TOKEN"] = await system.CreateUserAsync("clissh"),
        };

        var run = await _cli.RunAsync(["run", "--service", "cli-ssh", "--cpu", "0.25", "--memory", "64Mi", "--ssh-key", key + ".pub"], user);
        Assert.True(run.ExitCode == 0, run.Error);
        var id = run.Output.Trim();
        using var client = system.Client(user["CORRAL_TOKEN"]);
        await system.WaitForJobAsync(client, id, j => j["ssh"] is JsonObject && EndToEnd.Jobs.Status(j) == "running", TimeSpan.FromSeconds(90));

        string[] ssh = ["ssh", id, "-i", key, "--", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "BatchMode=yes", "-o", "ConnectTimeout=30", "-o", "LogLevel=ERROR"];
        var inside = await _cli.RunAsync([.. ssh, "echo from-the-session; id -u"], user);
        if (inside.ExitCode == 255 && inside.Error.Contains("banner exchange", StringComparison.Ordinal))
        {
            // A just-started session's first connection has hung now and then in full runs (NOTES, "Known rough edges").
            inside = await _cli.RunAsync([.. ssh, "echo from-the-session; id -u"], user);
        }

        Assert.True(inside.ExitCode == 0, inside.Error);
        Assert.Equal("from-the-session\n1000\n", inside.Output);
        var failing = await _cli.RunAsync([.. ssh, "exit 5"], user);
        Assert.Equal(5, failing.ExitCode);

        var batch = await _cli.RunAsync(["run", "--service", "cli-ssh", "--", "true"], user);
        var notASession = await _cli.RunAsync(["ssh", batch.Output.Trim()], user);
        Assert.Equal(1, notASession.ExitCode);
        Assert.Contains("no SSH endpoint", notASession.Error);

        Assert.Equal(0, (await _cli.RunAsync(["cancel", id], user)).ExitCode);
    }

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_keys, recursive: true);
    }
}
