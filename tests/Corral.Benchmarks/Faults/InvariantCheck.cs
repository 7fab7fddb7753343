using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace Corral.Benchmarks.Faults;

/// <summary>
/// Checks, once the load has stopped and its jobs have drained, what a user and an operator would: every accepted
/// submission is in <c>corral_jobs</c> and ended exactly once with a coherent history; no job exists that was not
/// accepted; at no instant did a user hold more admitted jobs of a service than its limit; every quota is back to
/// zero; every job's log holds its lines exactly once and in order.
/// </summary>
public sealed class InvariantCheck(FaultCluster cluster, string connectionString, IReadOnlyDictionary<string, int> limits)
{
    private static readonly string[] Terminal = ["succeeded", "failed", "cancelled"];
    private static readonly string[] Admitted = ["pending", "starting", "running"];

    public List<string> Details { get; } = [];

    /// <summary>Waits up to <paramref name="timeout"/> for the users' jobs to end; true when none is left unfinished.</summary>
    public async Task<bool> DrainAsync(IReadOnlyList<LoadUser> users, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var unfinished = await ScalarAsync("SELECT count(*) FROM corral_jobs WHERE user_name = ANY(@users) AND unfinished", users);
            if (unfinished == 0)
            {
                return true;
            }

            if (DateTime.UtcNow > deadline)
            {
                Details.Add($"{unfinished} job(s) still unfinished after {timeout.TotalSeconds:0} s");
                return false;
            }

            await Task.Delay(1000);
        }
    }

    public async Task<FaultOutcome> CheckAsync(IReadOnlyList<LoadUser> users, IReadOnlyCollection<AcceptedJob> accepted)
    {
        var stored = await StoredJobsAsync(users);
        var tokens = users.ToDictionary(u => u.Name, u => u.Token);
        int lost = 0, doubled = 0, incoherent = 0, logsWrong = 0, failed = 0;
        var intervals = new Dictionary<(string User, string Service), List<(DateTimeOffset From, DateTimeOffset To)>>();
        var acceptedIds = accepted.Select(a => a.Id).ToHashSet(StringComparer.Ordinal);

        foreach (var extra in stored.Keys.Where(id => !acceptedIds.Contains(id)))
        {
            doubled++;
            Details.Add($"job {extra} exists but no submission was accepted for it");
        }

        foreach (var job in accepted)
        {
            if (!stored.TryGetValue(job.Id, out var row) || row.Unfinished)
            {
                lost++;
                Details.Add($"job {job.Id}: {(row is null ? "not stored" : $"never ended ({row.Status})")}");
                continue;
            }

            using var client = cluster.Client(tokens[job.User]);
            var view = await client.GetFromJsonAsync<JsonObject>($"/api/jobs/{job.Id}");
            var history = view!["history"]!.AsArray()
                .Select(h => (Status: h!["status"]!.GetValue<string>(), At: h["at"]!.GetValue<DateTimeOffset>())).ToList();
            var terminals = history.Count(h => Terminal.Contains(h.Status));
            var runs = history.Count(h => h.Status == "running");
            if (terminals > 1 || runs > 1)
            {
                doubled++;
                Details.Add($"job {job.Id}: {terminals} terminal steps, {runs} running steps: {string.Join(',', history.Select(h => h.Status))}");
            }
            else if (!Coherent(history))
            {
                incoherent++;
                Details.Add($"job {job.Id}: incoherent history {string.Join(',', history.Select(h => $"{h.Status}@{h.At:HH:mm:ss.fff}"))}");
            }

            var status = view["status"]!.GetValue<string>();
            if (status != "succeeded")
            {
                failed++;
                Details.Add($"job {job.Id} ended {status}: {view["terminationReason"]} {view["message"]}");
            }

            if (history.FirstOrDefault(h => Admitted.Contains(h.Status)) is { Status: not null } admitted
                && history.LastOrDefault(h => Terminal.Contains(h.Status)) is { Status: not null } end)
            {
                var key = (job.User, job.Service);
                intervals.TryAdd(key, []);
                intervals[key].Add((admitted.At, end.At));
            }

            var log = await client.GetStringAsync($"/api/jobs/{job.Id}/logs");
            var expected = SteadyLoad.ExpectedLog;
            if (status == "succeeded" ? log != expected : !expected.StartsWith(log, StringComparison.Ordinal))
            {
                logsWrong++;
                Details.Add($"job {job.Id} ({status}): log of {log.Length} chars is not its lines once each in order: {Shorten(log)}");
            }
        }

        var overLimit = intervals.Sum(pair => OverLimit(pair.Key, pair.Value));
        var leaked = await LeakedSlotsAsync(users);
        return new FaultOutcome(accepted.Count, lost, doubled, incoherent, leaked, overLimit, logsWrong, failed);
    }

    /// <summary>Starts queued, ends with its one terminal step, times never go backwards.</summary>
    private static bool Coherent(List<(string Status, DateTimeOffset At)> history) =>
        history.Count >= 2
        && history[0].Status == "queued"
        && Terminal.Contains(history[^1].Status)
        && history.Zip(history.Skip(1)).All(p => p.First.At <= p.Second.At);

    /// <summary>How many admissions found the user already holding the service's limit (slots counted twice).</summary>
    private int OverLimit((string User, string Service) key, List<(DateTimeOffset From, DateTimeOffset To)> held)
    {
        var limit = limits[key.Service];
        // At equal instants a release comes before an admission: the quota frees the slot, then admits the next.
        var events = held.SelectMany(h => new[] { (At: h.From, Delta: 1), (At: h.To, Delta: -1) })
            .OrderBy(e => e.At).ThenBy(e => e.Delta);
        int running = 0, over = 0;
        foreach (var change in events)
        {
            running += change.Delta;
            if (running > limit)
            {
                over++;
                Details.Add($"{key.User}/{key.Service}: {running} admitted at {change.At:HH:mm:ss.fff}, limit {limit}");
            }
        }

        return over;
    }

    /// <summary>Slots still held once every job has ended (each quota's running and queued count).</summary>
    private async Task<int> LeakedSlotsAsync(IReadOnlyList<LoadUser> users)
    {
        var leaked = 0;
        foreach (var user in users)
        {
            using var client = cluster.Client(user.Token);
            foreach (var quota in (await client.GetFromJsonAsync<JsonArray>("/api/quotas"))!)
            {
                var held = quota!["running"]!.GetValue<int>() + quota["queued"]!.GetValue<int>();
                if (held > 0)
                {
                    leaked += held;
                    Details.Add($"{user.Name}/{quota["service"]}: {held} slot(s) still held after every job ended");
                }
            }
        }

        return leaked;
    }

    /// <summary>Every stored job of <paramref name="users"/>: its user and its status as the API names it.</summary>
    public async Task<IReadOnlyDictionary<string, (string User, string Status)>> StoredStatusesAsync(IReadOnlyList<LoadUser> users)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT job_id, user_name, status FROM corral_jobs WHERE user_name = ANY(@users)", connection);
        command.Parameters.AddWithValue("users", users.Select(u => u.Name).ToArray());
        await using var reader = await command.ExecuteReaderAsync();
        var jobs = new Dictionary<string, (string User, string Status)>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            jobs[reader.GetString(0)] = (reader.GetString(1), reader.GetString(2).ToLowerInvariant());
        }

        return jobs;
    }

    private async Task<Dictionary<string, StoredJob>> StoredJobsAsync(IReadOnlyList<LoadUser> users)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT job_id, status, unfinished FROM corral_jobs WHERE user_name = ANY(@users)", connection);
        command.Parameters.AddWithValue("users", users.Select(u => u.Name).ToArray());
        await using var reader = await command.ExecuteReaderAsync();
        var jobs = new Dictionary<string, StoredJob>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            jobs[reader.GetString(0)] = new StoredJob(reader.GetString(1), reader.GetBoolean(2));
        }

        return jobs;
    }

    private async Task<long> ScalarAsync(string sql, IReadOnlyList<LoadUser> users)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue("users", users.Select(u => u.Name).ToArray());
            return (long)(await command.ExecuteScalarAsync())!;
        }
        catch (NpgsqlException)
        {
            return -1;
        }
    }

    private static string Shorten(string text) => text.Length > 120 ? text[..120].Replace("\n", "\\n") + "..." : text.Replace("\n", "\\n");

    private sealed record StoredJob(string Status, bool Unfinished);
}
