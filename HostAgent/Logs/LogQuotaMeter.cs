namespace Corral.HostAgent.Logs;

/// <summary>
/// Counts a job's stripped log bytes per calendar hour (UTC) against LOG_QUOTA_PER_JOB_HOUR (0 = no limit).
/// The count starts again at the top of every hour.
/// </summary>
public sealed class LogQuotaMeter(long quotaPerHour, TimeProvider clock, long bytesThisHour = 0, long bytesTotal = 0)
{
    private DateTimeOffset _hour = HourOf(clock.GetUtcNow());

    public long BytesThisHour { get; private set; } = bytesThisHour;

    public long BytesTotal { get; private set; } = bytesTotal;

    public long QuotaPerHour => quotaPerHour;

    /// <summary>Counts bytes; true when this hour's count is now over the quota.</summary>
    public bool Add(long bytes)
    {
        RollHour();
        BytesThisHour += bytes;
        BytesTotal += bytes;
        return IsOver;
    }

    public bool IsOver => quotaPerHour > 0 && BytesThisHour > quotaPerHour;

    /// <summary>Current figures, with this hour's count reset if the hour changed since the last write.</summary>
    public (long ThisHour, long Total) Snapshot()
    {
        RollHour();
        return (BytesThisHour, BytesTotal);
    }

    public static DateTimeOffset HourOf(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }

    private void RollHour()
    {
        var hour = HourOf(clock.GetUtcNow());
        if (hour != _hour)
        {
            _hour = hour;
            BytesThisHour = 0;
        }
    }
}
