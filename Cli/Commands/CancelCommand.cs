using System.CommandLine;
using System.Text.Json;

namespace Corral.Cli.Commands;

/// <summary>corral cancel ID...: cancels each (idempotent); goes on past a failure and exits 1 if any failed.</summary>
public static class CancelCommand
{
    public static Command Create()
    {
        var ids = new Argument<string[]>("id") { Description = "Job ids", Arity = ArgumentArity.OneOrMore };
        var command = new Command("cancel", "Cancel jobs") { ids };
        command.SetAction(Session.Action(async (session, parse, cancellationToken) =>
        {
            var exitCode = ExitCodes.Ok;
            var views = new List<JsonElement>();
            foreach (var id in parse.GetValue(ids)!)
            {
                try
                {
                    var job = await session.Api.PostAsync($"api/jobs/{CorralApi.Escape(id)}/cancel", (System.Text.Json.Nodes.JsonNode?)null, cancellationToken);
                    views.Add(job);
                    if (!session.Output.Json)
                    {
                        session.Output.Line($"{id}: {JobText.StatusWords(job)}");
                    }
                }
                catch (ApiException error)
                {
                    Output.Error($"{id}: {error.Message}");
                    exitCode = ExitCodes.ApiError;
                }
            }

            if (session.Output.Json)
            {
                session.Output.WriteJson(JsonSerializer.SerializeToElement(views));
            }

            return exitCode;
        }));
        return command;
    }
}
