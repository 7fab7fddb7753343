using System.CommandLine;
using System.Text.Json.Nodes;

namespace Corral.Cli.Commands;

/// <summary>corral users add NAME (admin): creates a user and prints the token, which the API shows only this once.</summary>
public static class UsersCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "User name" };
        var add = new Command("add", "Create a user and print their token (shown once)") { name };
        add.SetAction(Session.Action(async (session, parse, cancellationToken) =>
        {
            var created = await session.Api.PostAsync("api/users", new JsonObject { ["name"] = parse.GetValue(name) }, cancellationToken);
            if (session.Output.Json)
            {
                session.Output.WriteJson(created);
            }
            else
            {
                Output.Note($"Created {JobText.Cell(created, "name")}. Their token (shown once; they log in with 'corral login'):");
                session.Output.Line(JobText.Cell(created, "token"));
            }

            return ExitCodes.Ok;
        }));
        return new Command("users", "Manage users (admins)") { add };
    }
}
