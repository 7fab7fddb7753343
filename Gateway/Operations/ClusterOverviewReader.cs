using System.Text.Json;
using Corral.Jobs;
using Npgsql;

namespace Corral.Gateway.Operations;

/// <summary>
/// Reads <see cref="ClusterOverview"/> from the job index with two small queries: the unfinished rows (their partial
/// index) and the rows submitted within the window (the index by time), never a scan of every job ever run.
/// </summary>
public sealed class ClusterOverviewReader(NpgsqlDataSource database, TimeProvider clock)
{
    public static readonly TimeSpan FailuresWindow = TimeSpan.FromHours(24);

    public async Task<ClusterOverview> ReadAsync(CancellationToken cancellationToken) =>
        new(await ReadLoadAsync(cancellationToken), await ReadFailuresAsync(cancellationToken), FailuresWindow);

    private async Task<IReadOnlyList<ServiceLoad>> ReadLoadAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "SELECT service, status, count(*) FROM corral_jobs WHERE unfinished GROUP BY service, status");
        var counts = new SortedDictionary<string, Dictionary<string, long>>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var service = reader.GetString(0);
            if (!counts.TryGetValue(service, out var byStatus))
            {
                counts[service] = byStatus = new Dictionary<string, long>(StringComparer.Ordinal);
            }

            byStatus[reader.GetString(1)] = reader.GetInt64(2);
        }

        return [.. counts.Select(c => new ServiceLoad(
            c.Key,
            c.Value.GetValueOrDefault(nameof(JobStatus.Queued)),
            c.Value.GetValueOrDefault(nameof(JobStatus.Pending)),
            c.Value.GetValueOrDefault(nameof(JobStatus.Starting)),
            c.Value.GetValueOrDefault(nameof(JobStatus.Running))))];
    }

    private async Task<IReadOnlyList<FailureCount>> ReadFailuresAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "SELECT reason, count(*), max(finished_at), (array_agg(job_id ORDER BY finished_at DESC))[1] FROM corral_jobs " +
            "WHERE submitted_at > $1 AND reason IS NOT NULL AND finished_at IS NOT NULL GROUP BY reason ORDER BY count(*) DESC, reason");
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = clock.GetUtcNow() - FailuresWindow });
        var failures = new List<FailureCount>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            // The index stores the C# name (OutOfMemory); the API's word is snake_case (out_of_memory).
            var reason = JsonNamingPolicy.SnakeCaseLower.ConvertName(reader.GetString(0));
            failures.Add(new FailureCount(reason, reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3)));
        }

        return failures;
    }
}
