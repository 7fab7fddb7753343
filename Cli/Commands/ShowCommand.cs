using System.CommandLine;
using System.Text.Json;

namespace Corral.Cli.Commands;

/// <summary>corral show ID: one job's whole view.</summary>
public static class ShowCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "Job id" };
        var command = new Command("show", "Show one job") { id };
        command.SetAction(Session.Action(async (session, parse, cancellationToken) =>
        {
            var job = await session.Api.GetAsync($"api/jobs/{CorralApi.Escape(parse.GetValue(id)!)}", cancellationToken);
            if (session.Output.Json)
            {
                session.Output.WriteJson(job);
                return ExitCodes.Ok;
            }

            var fields = new List<(string, string)>
            {
                ("id", JobText.Cell(job, "id")),
                ("user", JobText.Cell(job, "user")),
                ("service", JobText.Cell(job, "service")),
                ("kind", JobText.Cell(job, "kind")),
                ("status", JobText.StatusWords(job)),
                ("image", JobText.Cell(job, "image")),
                ("command", job.TryGetProperty("command", out var command) && command.ValueKind == JsonValueKind.Array
                    ? string.Join(' ', command.EnumerateArray().Select(JobText.Cell))
                    : ""),
                ("worker", JobText.Cell(job, "worker")),
                ("submitted", JobText.Cell(job, "submittedAt")),
                ("started", JobText.Cell(job, "startedAt")),
                ("finished", JobText.Cell(job, "finishedAt")),
                ("runtime", JobText.Runtime(job, DateTimeOffset.UtcNow)),
                ("requested", JobText.Cell(job, "requested")),
                ("limits", JobText.Cell(job, "limits")),
                ("log bytes", $"{JobText.Cell(job, "logBytesTotal")} ({JobText.Cell(job, "logBytesThisHour")} this hour)"),
                ("egress bytes", JobText.Cell(job, "egressBytes")),
                ("cpu seconds", JobText.Seconds(job, "cpuSeconds")),
                ("gpu seconds", JobText.Seconds(job, "gpuSeconds")),
                ("priority", JobText.Cell(job, "priority")),
                ("attempt", JobText.Cell(job, "attempt")),
                ("preemptions", JobText.Cell(job, "preemptions")),
            };
            if (job.TryGetProperty("ssh", out var ssh) && ssh.ValueKind == JsonValueKind.Object)
            {
                fields.Add(("ssh", $"{JobText.Cell(ssh, "user")}@{JobText.Cell(ssh, "host")} -p {JobText.Cell(ssh, "port")}"));
            }

            session.Output.Fields(fields);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
