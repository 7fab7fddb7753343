using System.CommandLine;
using Corral.Cli.Commands;

namespace Corral.Cli;

/// <summary>The root command: every subcommand, the global --output option, and usage errors as exit code 2.</summary>
public static class CliApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand("corral: submit and follow jobs on a Corral cluster")
        {
            GlobalOptions.Output,
            LoginCommand.Create(),
            WhoamiCommand.Create(),
            RunCommand.Create(),
            PsCommand.Create(),
            ShowCommand.Create(),
            LogsCommand.Create(),
            CancelCommand.Create(),
            DownloadCommand.Create(),
            SshCommand.Create(),
            QuotasCommand.Create(),
            UsersCommand.Create(),
            TokensCommand.Create(),
            WorkersCommand.Create(),
        };
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Build().Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync("error: " + error.Message);
            }

            await Console.Error.WriteLineAsync("Run 'corral --help' for usage.");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync();
    }
}
