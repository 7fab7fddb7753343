using System.Diagnostics;

namespace Corral.Benchmarks.Files;

/// <summary>
/// The in-run baseline: <c>cp</c> of the same files into another folder on this machine, as a process, and the same
/// followed by <c>sync FILE...</c> (fsync of each copy), since the gateway's store is PostgreSQL, which commits each
/// file to disk before it answers.
/// </summary>
public static class CopyBaseline
{
    /// <summary>Median seconds of <paramref name="runs"/> copies of every input into a fresh folder, after one untimed.</summary>
    public static async Task<double> MedianSecondsAsync(InputFiles inputs, bool fsync, int runs, CancellationToken cancellationToken)
    {
        var seconds = new List<double>();
        for (var i = 0; i <= runs; i++)
        {
            var target = Directory.CreateTempSubdirectory("corral-bench-cp-").FullName;
            try
            {
                var copies = inputs.Names.Select(name => Path.Combine(target, name)).ToList();
                var started = Stopwatch.GetTimestamp();
                await RunAsync("cp", [.. inputs.Names.Select(inputs.PathOf), target], cancellationToken);
                if (fsync)
                {
                    await RunAsync("sync", copies, cancellationToken);
                }

                if (i > 0)
                {
                    seconds.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
                }
            }
            finally
            {
                Directory.Delete(target, recursive: true);
            }
        }

        seconds.Sort();
        return seconds[seconds.Count / 2];
    }

    private static async Task RunAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments))!;
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} exited with {process.ExitCode}");
        }
    }
}
