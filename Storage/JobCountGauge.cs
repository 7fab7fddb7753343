using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Corral.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Corral.Storage;

/// <summary>
/// The gauge <c>corral.jobs.unfinished</c>: jobs not yet ended, by service and status (queued is the queue depth),
/// from the job index every <see cref="Every"/>, so a scrape never waits on PostgreSQL. Every core silo reports the
/// cluster's whole figure: aggregate it with max, not sum.
/// </summary>
public sealed partial class JobCountGauge : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(10);

    private static readonly Meter Meter = new(CorralMeters.Prefix + "Jobs.Index");

    private readonly NpgsqlDataSource _database;
    private readonly ILogger<JobCountGauge> _logger;
    private ImmutableArray<Measurement<long>> _latest = [];

    public JobCountGauge(NpgsqlDataSource database, ILogger<JobCountGauge> logger)
    {
        _database = database;
        _logger = logger;
        Meter.CreateObservableGauge<long>("corral.jobs.unfinished", () => _latest.AsEnumerable(), "{job}", "Jobs not yet ended, by service and status");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every);
        do
        {
            try
            {
                _latest = await CountAsync(stoppingToken);
            }
            catch (Exception error) when (error is NpgsqlException or TimeoutException)
            {
                // A figure from the last good read is better than none; the database's own health check says it is down.
                LogCountFailed(error.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<ImmutableArray<Measurement<long>>> CountAsync(CancellationToken cancellationToken)
    {
        // The partial index of unfinished rows keeps this a small read however many jobs have ended.
        await using var command = _database.CreateCommand(
            "SELECT service, status, count(*) FROM corral_jobs WHERE unfinished GROUP BY service, status");
        var counts = ImmutableArray.CreateBuilder<Measurement<long>>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts.Add(new Measurement<long>(reader.GetInt64(2),
                new KeyValuePair<string, object?>("service", reader.GetString(0)),
                new KeyValuePair<string, object?>("status", reader.GetString(1).ToLowerInvariant())));
        }

        return counts.ToImmutable();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Counting unfinished jobs for /metrics failed: {Error}")]
    private partial void LogCountFailed(string error);
}
