using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;

namespace Corral.Cli.Commands;

/// <summary>
/// corral ssh ID [-- SSH ARGS...]: runs the machine's ssh to the session's endpoint (the job view's ssh
/// { host, port, user }) with the user's key, and exits with ssh's exit code.
/// </summary>
public static class SshCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "SSH session job id" };
        var identity = new Option<string?>("--identity", "-i") { Description = "Private key file (default: ssh's own choice)" };
        var extra = new Argument<string[]>("ssh-args") { Description = "More arguments for ssh, after --", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("ssh", "Open a shell in an SSH session job") { id, identity, extra };
        command.SetAction(Session.Action(async (session, parse, cancellationToken) =>
        {
            var job = await session.Api.GetAsync($"api/jobs/{CorralApi.Escape(parse.GetValue(id)!)}", cancellationToken);
            if (!job.TryGetProperty("ssh", out var endpoint) || endpoint.ValueKind != JsonValueKind.Object)
            {
                Output.Error($"{parse.GetValue(id)}: no SSH endpoint ({JobText.StatusWords(job)}); SSH sessions are started with 'corral run --ssh-key FILE'");
                return ExitCodes.ApiError;
            }

            var arguments = Arguments(
                JobText.Cell(endpoint, "host"), JobText.Cell(endpoint, "port"), JobText.Cell(endpoint, "user"),
                parse.GetValue(identity), parse.GetValue(extra) ?? []);
            // Inherits this terminal: ssh talks to the user directly.
            using var ssh = Process.Start(new ProcessStartInfo("ssh", arguments) { UseShellExecute = false })!;
            await ssh.WaitForExitAsync(CancellationToken.None);
            return ssh.ExitCode;
        }));
        return command;
    }

    public static IReadOnlyList<string> Arguments(string host, string port, string user, string? identity, IReadOnlyList<string> extra)
    {
        var arguments = new List<string> { "-p", port };
        if (identity is not null)
        {
            arguments.AddRange(["-i", identity, "-o", "IdentitiesOnly=yes"]);
        }

        // ssh reads options after the destination too, so extra arguments may be options or a remote command.
        arguments.Add($"{user}@{host}");
        arguments.AddRange(extra);
        return arguments;
    }
}
