using System.CommandLine;
using System.Globalization;

namespace Corral.Cli.Commands;

/// <summary>corral quotas: the caller's per-service run limits and use.</summary>
public static class QuotasCommand
{
    public static Command Create()
    {
        var command = new Command("quotas", "Show your concurrent-run quotas per service");
        command.SetAction(Session.Action(async (session, _, cancellationToken) =>
        {
            var quotas = await session.Api.GetAsync("api/quotas", cancellationToken);
            if (session.Output.Json)
            {
                session.Output.WriteJson(quotas);
                return ExitCodes.Ok;
            }

            session.Output.Table(
                ["SERVICE", "RUNNING", "LIMIT", "QUEUED"],
                quotas.EnumerateArray().Select(q => (IReadOnlyList<string>)[
                    JobText.Cell(q, "service"), JobText.Cell(q, "running"), JobText.Cell(q, "limit"),
                    JobText.Number(q, "queued")?.ToString(CultureInfo.InvariantCulture) ?? ""]));
            return ExitCodes.Ok;
        }));
        return command;
    }
}
