using System.CommandLine;
using Spectre.Console;

namespace Corral.Cli.Commands;

/// <summary>corral login --url URL: checks the token (stdin, CORRAL_TOKEN, or a prompt) against the API and stores both.</summary>
public static class LoginCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "The gateway's address, e.g. http://corral.example:8080", Required = true };
        var command = new Command("login", "Store the API address and your token (read from stdin or CORRAL_TOKEN) in the config file") { url };
        command.SetAction(Session.Action(async (session, parse, cancellationToken) =>
        {
            var address = parse.GetValue(url)!;
            if (!Uri.TryCreate(address, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
            {
                throw new UsageException($"--url: '{address}' is not an http or https address");
            }

            var token = await ReadTokenAsync(cancellationToken);
            var config = new CliConfig(address.TrimEnd('/'), token);
            using var api = new CorralApi(config);
            var me = await api.GetAsync("api/me", cancellationToken);
            session.Config.Save(config);
            if (session.Output.Json)
            {
                session.Output.WriteJson(me);
            }
            else
            {
                session.Output.Line($"Logged in to {config.Url} as {JobText.Cell(me, "name")}; saved in {session.Config.Path}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task<string> ReadTokenAsync(CancellationToken cancellationToken)
    {
        string? token;
        if (Console.IsInputRedirected)
        {
            token = await Console.In.ReadLineAsync(cancellationToken);
        }
        else if (Environment.GetEnvironmentVariable(ConfigStore.TokenVariable) is { Length: > 0 } fromEnvironment)
        {
            token = fromEnvironment;
        }
        else
        {
            token = await AnsiConsole.PromptAsync(new TextPrompt<string>("Token:").Secret(), cancellationToken);
        }

        // An empty stdin (a closed pipe) falls back to the variable.
        if (string.IsNullOrWhiteSpace(token))
        {
            token = Environment.GetEnvironmentVariable(ConfigStore.TokenVariable);
        }

        return string.IsNullOrWhiteSpace(token)
            ? throw new UsageException($"no token: pipe it to stdin or set {ConfigStore.TokenVariable}")
            : token.Trim();
    }
}
