using System.CommandLine;
using Corral.Cli.Live;

namespace Corral.Cli.Commands;

/// <summary>
/// corral logs ID: the stored output (GET /api/jobs/{id}/logs). With -f, it and then the live output over the hub
/// until the job ends, each line once across reconnects (<see cref="LogFollower"/>).
/// </summary>
public static class LogsCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "Job id" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing output live until the job ends" };
        var command = new Command("logs", "Print a job's output") { id, follow };
        command.SetAction(Session.Action(async (session, parse, cancellationToken) =>
        {
            var job = parse.GetValue(id)!;
            if (parse.GetValue(follow))
            {
                await new JobFollower(session, job, noteStatus: false).FollowAsync(cancellationToken);
                return ExitCodes.Ok;
            }

            if (session.Output.Json)
            {
                using var text = new MemoryStream();
                await session.Api.CopyToAsync($"api/jobs/{CorralApi.Escape(job)}/logs", text, cancellationToken);
                session.Output.Log(job, System.Text.Encoding.UTF8.GetString(text.ToArray()));
                return ExitCodes.Ok;
            }

            await using var stdout = Console.OpenStandardOutput();
            await session.Api.CopyToAsync($"api/jobs/{CorralApi.Escape(job)}/logs", stdout, cancellationToken);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
