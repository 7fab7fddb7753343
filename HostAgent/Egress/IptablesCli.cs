using System.ComponentModel;
using System.Diagnostics;

namespace Corral.HostAgent.Egress;

/// <summary>
/// The real <see cref="IIptables"/>: the <c>iptables</c> and <c>ip6tables</c> commands found on PATH, as Docker
/// finds them, so the agent works with whichever backend (nf_tables or legacy) the host and Docker use.
/// </summary>
public sealed class IptablesCli : IIptables
{
    public async Task<string> RunAsync(IpFamily family, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        // -w: wait for the xtables lock instead of failing while Docker (or another agent) changes rules.
        return await RunProcessAsync(family.Command(), ["-w", .. arguments], stdin: null, cancellationToken);
    }

    public async Task RestoreAsync(IpFamily family, string rules, CancellationToken cancellationToken)
    {
        await RunProcessAsync(family.Command() + "-restore", ["-w", "--noflush"], rules, cancellationToken);
    }

    private static async Task<string> RunProcessAsync(string command, IReadOnlyList<string> arguments, string? stdin, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(command)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var commandLine = $"{command} {string.Join(' ', arguments)}";
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception error)
        {
            throw new IptablesException($"cannot run '{commandLine}': {error.Message} (is {command} installed and on PATH?)");
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin);
                process.StandardInput.Close();
            }

            // Rule changes are not abandoned halfway: the command always runs to its end.
            await process.WaitForExitAsync(CancellationToken.None);
            var text = await output;
            var error = await errors;
            if (process.ExitCode != 0)
            {
                var reason = string.Join(" ", error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Where(l => !l.StartsWith('#')));
                throw new IptablesException($"'{commandLine}' failed (exit {process.ExitCode}): {reason}");
            }

            cancellationToken.ThrowIfCancellationRequested();
            return text;
        }
    }
}
