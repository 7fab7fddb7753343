namespace Corral.Benchmarks.Files;

/// <summary>
/// The highest resident memory of a process while something runs: /proc/PID/status read every 20 ms in the
/// background from <see cref="Start"/> until <see cref="StopAsync"/>.
/// </summary>
public sealed class PeakRss
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<long> _sampling;

    private PeakRss(int pid)
    {
        _pid = pid;
        _sampling = SampleAsync();
    }

    public static PeakRss Start(int pid) => new(pid);

    /// <summary>Stops sampling; the peak in bytes, including one last reading now.</summary>
    public async Task<long> StopAsync()
    {
        await _stop.CancelAsync();
        var peak = await _sampling;
        _stop.Dispose();
        return Math.Max(peak, Bytes(_pid));
    }

    /// <summary>Resident memory of a process now (VmRSS, which /proc gives in KiB).</summary>
    public static long Bytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
            }
        }

        return 0;
    }

    private async Task<long> SampleAsync()
    {
        long peak = 0;
        while (!_stop.IsCancellationRequested)
        {
            peak = Math.Max(peak, Bytes(_pid));
            try
            {
                await Task.Delay(20, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return peak;
    }
}
