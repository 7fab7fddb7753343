using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Corral.Cli.Commands;

/// <summary>corral workers (admin): each worker's liveness, capacity and what is allocated.</summary>
public static class WorkersCommand
{
    public static Command Create()
    {
        var command = new Command("workers", "List workers (admins)");
        command.SetAction(Session.Action(async (session, _, cancellationToken) =>
        {
            var workers = await session.Api.GetAsync("api/workers", cancellationToken);
            if (session.Output.Json)
            {
                session.Output.WriteJson(workers);
                return ExitCodes.Ok;
            }

            session.Output.Table(
                ["NAME", "ALIVE", "CPU", "MEMORY", "GPUS", "JOBS", "ADDRESS"],
                workers.EnumerateArray().Select(Row));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static IReadOnlyList<string> Row(JsonElement worker)
    {
        var capacity = worker.GetProperty("capacity");
        var gpus = capacity.TryGetProperty("gpus", out var list) && list.ValueKind == JsonValueKind.Array
            ? string.Join(", ", list.EnumerateArray().Select(g => JobText.Cell(g, "name")))
            : "";
        var jobs = worker.TryGetProperty("jobs", out var held) && held.ValueKind == JsonValueKind.Array ? held.GetArrayLength() : 0;
        return [
            JobText.Cell(worker, "name"),
            JobText.Cell(worker, "alive") != "true" ? "no" : JobText.Cell(worker, "draining") == "true" ? "draining" : "yes",
            $"{JobText.Cell(worker, "allocatedCpu")}/{JobText.Cell(capacity, "cpu")}",
            $"{Bytes(JobText.Number(worker, "allocatedMemoryBytes"))}/{Bytes(JobText.Number(capacity, "memoryBytes"))}",
            gpus.Length == 0 ? "none" : gpus,
            jobs.ToString(CultureInfo.InvariantCulture),
            JobText.Cell(worker, "address"),
        ];
    }

    private static string Bytes(long? bytes) => bytes switch
    {
        null => "",
        >= 1L << 30 => $"{bytes.Value / (double)(1L << 30):0.#}Gi",
        >= 1L << 20 => $"{bytes.Value / (double)(1L << 20):0.#}Mi",
        _ => bytes.Value.ToString(CultureInfo.InvariantCulture),
    };
}
