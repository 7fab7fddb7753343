using System.Diagnostics;
using Corral.Tests.EndToEnd;

namespace Corral.Tests.Cli;

/// <summary>
/// The built client (Cli/bin/.../corral.dll) run as a user runs it: its own config folder, no CORRAL_URL or
/// CORRAL_TOKEN unless a test gives them, optional standard input, killed if it overruns.
/// </summary>
public sealed class CorralCli : IDisposable
{
    private static readonly string[] Inherited = ["CORRAL_URL", "CORRAL_TOKEN", "CORRAL_SERVICE", "NO_COLOR"];

    public string ConfigHome { get; } = Directory.CreateTempSubdirectory("corral-cli-").FullName;

    public string ConfigFile => Path.Combine(ConfigHome, "corral", "config.json");

    public Task<CommandResult> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? input = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo("dotnet");
        start.ArgumentList.Add(TestEnvironment.ProcessPath("Cli", "corral"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return RunAsync(start, arguments, environment, input, timeout);
    }

    /// <summary>
    /// The client on a pseudo-terminal (util-linux script), as in an interactive shell: stdout and stderr are a
    /// terminal, and the result's output is everything the terminal showed, controls included.
    /// </summary>
    public Task<CommandResult> RunInTerminalAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var words = new[] { "exec", "dotnet", TestEnvironment.ProcessPath("Cli", "corral") }.Concat(arguments);
        var start = new ProcessStartInfo("script");
        string[] scriptArguments = ["--quiet", "--return", "--flush", "--command", string.Join(' ', words.Select(Quote)), "/dev/null"];
        foreach (var argument in scriptArguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["TERM"] = "xterm-256color";
        return RunAsync(start, arguments, environment, input: null, timeout);
    }

    private async Task<CommandResult> RunAsync(
        ProcessStartInfo start, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment, string? input, TimeSpan? timeout)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        foreach (var name in Inherited)
        {
            start.Environment.Remove(name);
        }

        start.Environment["XDG_CONFIG_HOME"] = ConfigHome;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        var limit = timeout ?? TimeSpan.FromSeconds(90);
        using var cancel = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"corral {string.Join(' ', arguments)} did not finish in {limit}: {await output}\n{await error}");
        }

        return new CommandResult(process.ExitCode, await output, await error);
    }

    public void Dispose() => Directory.Delete(ConfigHome, recursive: true);

    /// <summary>One word for sh: single-quoted, with any single quote closed, escaped and reopened.</summary>
    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
