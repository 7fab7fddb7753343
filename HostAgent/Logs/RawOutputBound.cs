namespace Corral.HostAgent.Logs;

/// <summary>
/// The agent's side of JOB_OUTPUT_MAX_BYTES_PER_HOUR: counts the raw bytes read from a job's output file (escape
/// sequences and all, which the log quota does not count) per clock hour (UTC). The runner in the container stops
/// writing at the bound, so reaching it means the job's output is being held back: <see cref="OnReachedAsync"/> ends
/// the job. A restarted agent counts this hour from zero (raw bytes are not stored); the runner's own count still
/// bounds the file.
/// </summary>
public sealed class RawOutputBound(long bytesPerHour, TimeProvider clock, Func<Task> onReached)
{
    private readonly LogQuotaMeter _meter = new(0, clock);

    public long BytesPerHour => bytesPerHour;

    /// <summary>Counts bytes read; true once this hour's count reached the bound (0: no bound).</summary>
    public bool Add(long bytes)
    {
        _meter.Add(bytes);
        return bytesPerHour > 0 && _meter.BytesThisHour >= bytesPerHour;
    }

    public Task OnReachedAsync() => onReached();
}
