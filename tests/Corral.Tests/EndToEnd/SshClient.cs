using System.Text.Json.Nodes;

namespace Corral.Tests.EndToEnd;

/// <summary>The result of one ssh command.</summary>
public sealed record SshResult(int ExitCode, string Output, string Error);

/// <summary>
/// A plain OpenSSH client with a fresh key pair, as a user would log in to a session: `ssh -p PORT corral@HOST`.
/// deploy/test.sh installs openssh-client when it is missing.
/// </summary>
public sealed class SshClient : IDisposable
{
    private readonly string _dir;

    private SshClient(string dir, string publicKey)
    {
        _dir = dir;
        PublicKey = publicKey;
    }

    public string PublicKey { get; }

    private string KeyPath => Path.Combine(_dir, "id_ed25519");

    public static async Task<SshClient> CreateAsync()
    {
        var dir = Directory.CreateTempSubdirectory("corral-ssh-").FullName;
        var keygen = await RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", string.Empty, "-C", "e2e@corral", "-f", Path.Combine(dir, "id_ed25519")], TimeSpan.FromSeconds(30));
        if (keygen.ExitCode != 0)
        {
            throw new InvalidOperationException($"ssh-keygen failed: {keygen.Error}");
        }

        return new SshClient(dir, (await File.ReadAllTextAsync(Path.Combine(dir, "id_ed25519.pub"))).Trim());
    }

    /// <summary>Runs a command in the session the job view's `ssh` names.</summary>
    /// <remarks>
    /// A login that times out in the banner exchange is tried once more: in full test runs the first connection to
    /// a just-started session has hung now and then (NOTES, "Known rough edges"), and a second attempt tells that
    /// apart from a server that never answers. The attempts are in the result's error either way.
    /// </remarks>
    public async Task<SshResult> RunAsync(JsonObject job, string command, TimeSpan? timeout = null, params string[] options)
    {
        var ssh = job["ssh"]!;
        string[] arguments =
        [
            "-F", "/dev/null", "-i", KeyPath, "-p", ssh["port"]!.GetValue<int>().ToString(),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
            "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=30", "-o", "LogLevel=ERROR", .. options,
            $"{ssh["user"]!.GetValue<string>()}@{ssh["host"]!.GetValue<string>()}", command,
        ];
        var first = await RunAsync("ssh", arguments, timeout ?? TimeSpan.FromSeconds(60));
        if (first.ExitCode != 255 || !first.Error.Contains("banner exchange", StringComparison.Ordinal))
        {
            return first;
        }

        var second = await RunAsync("ssh", arguments, timeout ?? TimeSpan.FromSeconds(60));
        return second with { Error = $"first attempt: {first.Error.Trim()}; second attempt: {second.Error}" };
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<SshResult> RunAsync(string program, string[] arguments, TimeSpan timeout)
    {
        var result = await CommandRunner.RunAsync(program, arguments, timeout);
        return new SshResult(result.ExitCode, result.Output, result.Error);
    }
}
