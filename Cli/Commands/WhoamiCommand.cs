using System.CommandLine;

namespace Corral.Cli.Commands;

/// <summary>corral whoami: who the token belongs to, and where.</summary>
public static class WhoamiCommand
{
    public static Command Create()
    {
        var command = new Command("whoami", "Show the user the token belongs to");
        command.SetAction(Session.Action(async (session, _, cancellationToken) =>
        {
            var me = await session.Api.GetAsync("api/me", cancellationToken);
            if (session.Output.Json)
            {
                session.Output.WriteJson(me);
            }
            else
            {
                session.Output.Fields([
                    ("user", JobText.Cell(me, "name")),
                    ("admin", JobText.Cell(me, "isAdmin")),
                    ("url", session.Api.Config.Url),
                ]);
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
