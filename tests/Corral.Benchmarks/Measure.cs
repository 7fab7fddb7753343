using System.Diagnostics;

namespace Corral.Benchmarks;

/// <summary>Stopwatch timing with warm-up: the median of several timed passes, after untimed ones.</summary>
public static class Measure
{
    /// <summary>Runs <paramref name="pass"/> <paramref name="warmups"/> times untimed, then <paramref name="runs"/> times timed; returns the median seconds.</summary>
    public static double MedianSeconds(Action pass, int warmups, int runs)
    {
        for (var i = 0; i < warmups; i++)
        {
            pass();
        }

        var seconds = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var started = Stopwatch.GetTimestamp();
            pass();
            seconds[i] = Stopwatch.GetElapsedTime(started).TotalSeconds;
        }

        Array.Sort(seconds);
        return seconds[runs / 2];
    }

    /// <summary>The value at quantile <paramref name="q"/> (0..1) of sorted <paramref name="sorted"/> (nearest rank).</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(q * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }
}
