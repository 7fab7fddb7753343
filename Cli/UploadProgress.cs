using Spectre.Console;

namespace Corral.Cli;

/// <summary>
/// A progress bar for a large upload, on stderr, only when both stdout and stderr are a terminal and the output is
/// for people: a script reading stdout (or a log of stderr) never gets cursor movements. Cleared when done, so the
/// terminal keeps only the job id.
/// </summary>
public static class UploadProgress
{
    /// <summary>Uploads smaller than this finish before a bar would be worth drawing.</summary>
    public const long MinimumBytes = 4L * 1024 * 1024;

    public static bool Visible(long totalBytes, bool json) =>
        !json && totalBytes >= MinimumBytes && !Console.IsOutputRedirected && !Console.IsErrorRedirected;

    /// <summary>Runs <paramref name="upload"/>, handing it a callback for bytes sent; draws the bar when <see cref="Visible"/>.</summary>
    public static async Task<T> RunAsync<T>(long totalBytes, bool json, Func<Action<long>, Task<T>> upload)
    {
        if (!Visible(totalBytes, json))
        {
            return await upload(_ => { });
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return await console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("upload", maxValue: totalBytes);
                var result = await upload(bytes => task.Increment(bytes));
                task.Value = totalBytes;
                return result;
            });
    }
}
