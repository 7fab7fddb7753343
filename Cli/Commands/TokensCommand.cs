using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Corral.Cli.Commands;

/// <summary>
/// corral tokens [list|create|revoke]: the caller's own named tokens, or with --user (admins, or that user) another
/// user's, where create is a rotation that can revoke the others. A new token is printed once, as the API shows it.
/// </summary>
public static class TokensCommand
{
    public static Command Create()
    {
        var user = new Option<string?>("--user", "-u") { Description = "Another user's tokens (admins)", Recursive = true };

        var list = new Command("list", "List tokens: id, name, created, expires, last used (never the token)");
        list.SetAction(Session.Action(async (session, parse, cancellationToken) =>
        {
            var tokens = await session.Api.GetAsync(Route(parse.GetValue(user)), cancellationToken);
            if (session.Output.Json)
            {
                session.Output.WriteJson(tokens);
                return ExitCodes.Ok;
            }

            session.Output.Table(
                ["ID", "NAME", "CREATED", "EXPIRES", "LAST USED"],
                tokens.GetProperty("items").EnumerateArray().Select(t => (IReadOnlyList<string>)
                [
                    JobText.Cell(t, "id"), JobText.Cell(t, "name"), JobText.Cell(t, "createdAt"),
                    JobText.Cell(t, "expiresAt") is { Length: > 0 } expires ? expires : "never", JobText.Cell(t, "lastUsedAt"),
                ]));
            return ExitCodes.Ok;
        }));

        var name = new Argument<string>("name") { Description = "A name for the token, e.g. laptop or ci" };
        var expiresIn = new Option<int?>("--expires-in") { Description = "Seconds until it expires (default: never)" };
        var revokeOthers = new Option<bool>("--revoke-others") { Description = "With --user: revoke every other token of that user (a rotation)" };
        var create = new Command("create", "Issue a token and print it (shown once)") { name, expiresIn, revokeOthers };
        create.SetAction(Session.Action(async (session, parse, cancellationToken) =>
        {
            var body = new JsonObject { ["name"] = parse.GetValue(name) };
            if (parse.GetValue(expiresIn) is { } seconds)
            {
                body["expiresInSeconds"] = seconds;
            }

            var target = parse.GetValue(user);
            if (parse.GetValue(revokeOthers))
            {
                if (target is null)
                {
                    Output.Error("--revoke-others: needs --user NAME (rotate a user's tokens)");
                    return ExitCodes.Usage;
                }

                body["revokeOthers"] = true;
            }

            var issued = await session.Api.PostAsync(Route(target), body, cancellationToken);
            if (session.Output.Json)
            {
                session.Output.WriteJson(issued);
                return ExitCodes.Ok;
            }

            var revoked = issued.TryGetProperty("revoked", out var ids) && ids.ValueKind == JsonValueKind.Array ? ids.GetArrayLength() : 0;
            Output.Note($"Token {JobText.Cell(issued, "id")} '{JobText.Cell(issued, "name")}'"
                + (revoked > 0 ? $"; revoked {revoked.ToString(CultureInfo.InvariantCulture)} other(s)" : string.Empty)
                + ". It is shown once:");
            session.Output.Line(JobText.Cell(issued, "token"));
            return ExitCodes.Ok;
        }));

        var ids = new Argument<string[]>("id") { Description = "Token ids (from corral tokens list)", Arity = ArgumentArity.OneOrMore };
        var revoke = new Command("revoke", "Revoke tokens") { ids };
        revoke.SetAction(Session.Action(async (session, parse, cancellationToken) =>
        {
            var exitCode = ExitCodes.Ok;
            foreach (var id in parse.GetValue(ids)!)
            {
                try
                {
                    await session.Api.DeleteAsync($"{Route(parse.GetValue(user))}/{CorralApi.Escape(id)}", cancellationToken);
                    Output.Note($"{id}: revoked");
                }
                catch (ApiException error)
                {
                    Output.Error($"{id}: {error.Message}");
                    exitCode = ExitCodes.ApiError;
                }
            }

            return exitCode;
        }));

        var command = new Command("tokens", "Your API tokens (with --user: another user's, for admins)") { user, list, create, revoke };
        // `corral tokens` alone lists, like `corral tokens list`.
        command.Action = list.Action;
        return command;
    }

    private static string Route(string? user) => user is null ? "api/tokens" : $"api/users/{CorralApi.Escape(user)}/tokens";
}
