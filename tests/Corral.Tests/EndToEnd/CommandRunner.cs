using System.Diagnostics;

namespace Corral.Tests.EndToEnd;

/// <summary>What a finished command said: its exit code, standard output and standard error.</summary>
public sealed record CommandResult(int ExitCode, string Output, string Error);

/// <summary>Runs a program of the machine to its end, with no input, and kills it (and what it started) when it overruns.</summary>
public static class CommandRunner
{
    public static async Task<CommandResult> RunAsync(
        string program, IEnumerable<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', start.ArgumentList)} did not finish in {timeout}");
        }

        return new CommandResult(process.ExitCode, await output, await error);
    }
}
