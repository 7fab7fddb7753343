using System.CommandLine;
using System.Text.Json;

namespace Corral.Cli.Commands;

/// <summary>
/// corral ps: the caller's jobs (an admin's: everyone's), newest first, from the paged list API. Without -a only
/// the jobs that have not ended (one listing per live status); with -a every job up to --last.
/// </summary>
public static class PsCommand
{
    private static readonly string[] LiveStatuses = ["queued", "pending", "starting", "running"];

    public static Command Create()
    {
        var all = new Option<bool>("--all", "-a") { Description = "Also jobs that have ended" };
        var service = new Option<string?>("--service", "-s") { Description = "Only this service" };
        var status = new Option<string?>("--status") { Description = "Only this status (queued, pending, starting, running, succeeded, failed, cancelled)" };
        var user = new Option<string?>("--user") { Description = "Only this user's jobs (admins)" };
        var last = new Option<int>("--last", "-n") { Description = "At most this many jobs", DefaultValueFactory = _ => 100 };
        var command = new Command("ps", "List jobs") { all, service, status, user, last };
        command.SetAction(Session.Action(async (session, parse, cancellationToken) =>
        {
            var limit = parse.GetValue(last);
            if (limit < 1)
            {
                throw new UsageException("--last: must be at least 1");
            }

            var statuses = parse.GetValue(status) is { } one ? [one] : parse.GetValue(all) ? [null] : LiveStatuses.Cast<string?>().ToArray();
            var jobs = new List<JsonElement>();
            foreach (var wanted in statuses)
            {
                jobs.AddRange(await ListAsync(session.Api, wanted, parse.GetValue(service), parse.GetValue(user), limit, cancellationToken));
            }

            var newest = jobs.OrderByDescending(j => JobText.Time(j, "submittedAt")).Take(limit).ToList();
            if (session.Output.Json)
            {
                session.Output.WriteJson(JsonSerializer.SerializeToElement(newest));
                return ExitCodes.Ok;
            }

            var now = DateTimeOffset.UtcNow;
            var rows = new List<IReadOnlyList<string>>();
            foreach (var job in newest)
            {
                rows.Add([
                    JobText.Cell(job, "id"), JobText.Cell(job, "service"), JobText.Cell(job, "status"),
                    JobText.Cell(job, "terminationReason"), await PositionAsync(session.Api, job, cancellationToken),
                    JobText.Runtime(job, now), JobText.Cell(job, "worker"),
                ]);
            }

            session.Output.Table(["ID", "SERVICE", "STATUS", "REASON", "POSITION", "RUNTIME", "WORKER"], rows);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Pages of GET /api/jobs, following nextCursor, until <paramref name="limit"/> jobs or the end.</summary>
    private static async Task<List<JsonElement>> ListAsync(
        CorralApi api, string? status, string? service, string? user, int limit, CancellationToken cancellationToken)
    {
        var jobs = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var query = new List<string> { "limit=" + Math.Min(limit - jobs.Count, 200) };
            Add(query, "status", status);
            Add(query, "service", service);
            Add(query, "user", user);
            Add(query, "cursor", cursor);
            var page = await api.GetAsync("api/jobs?" + string.Join('&', query), cancellationToken);
            jobs.AddRange(page.GetProperty("items").EnumerateArray());
            cursor = JobOutcome.Text(page, "nextCursor");
        }
        while (cursor is not null && jobs.Count < limit);
        return jobs;
    }

    /// <summary>A queued job's place in its queue: the list API does not carry it, the job's own view does.</summary>
    private static async Task<string> PositionAsync(CorralApi api, JsonElement job, CancellationToken cancellationToken)
    {
        if (JobOutcome.Status(job) != "queued")
        {
            return "";
        }

        var view = await api.GetAsync($"api/jobs/{CorralApi.Escape(JobText.Cell(job, "id"))}", cancellationToken);
        return JobText.Number(view, "queuePosition")?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }

    private static void Add(List<string> query, string name, string? value)
    {
        if (value is not null)
        {
            query.Add(name + "=" + Uri.EscapeDataString(value));
        }
    }
}
