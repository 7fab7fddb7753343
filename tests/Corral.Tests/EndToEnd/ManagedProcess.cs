using System.Diagnostics;
using System.Text;

namespace Corral.Tests.EndToEnd;

/// <summary>
/// One Corral process (silo, host agent or gateway) run with `dotnet`, its output kept for diagnostics; inside
/// <paramref name="networkNamespace"/> when one is named, with `ip netns exec`, which execs it: the process this class
/// holds is then still the dotnet process itself, so <see cref="Kill"/> is a real SIGKILL of it.
/// </summary>
public sealed class ManagedProcess(string name, string dll, IReadOnlyDictionary<string, string> environment, string? networkNamespace = null)
    : IDisposable
{
    private readonly StringBuilder _output = new();
    private Process? _process;

    public string Name { get; } = name;

    public bool HasExited => _process is null || _process.HasExited;

    /// <summary>The process id (for reading its memory figures in /proc).</summary>
    public int Id => _process?.Id ?? throw new InvalidOperationException($"{Name} was never started");

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>
    /// The first error the process logged (a <c>crit:</c> or <c>fail:</c> entry, or an unhandled exception), on one
    /// line, so that a report that shows only the start of a message still shows why it failed.
    /// </summary>
    public string FirstError()
    {
        var lines = Output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var first = Array.FindIndex(lines, l => l.StartsWith("crit:", StringComparison.Ordinal)
            || l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("Unhandled exception", StringComparison.Ordinal));
        return first < 0 ? "(no error logged)" : string.Join(" | ", lines.Skip(first).Take(4));
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public void Start()
    {
        string[] command = networkNamespace is null ? ["dotnet", dll] : ["ip", "netns", "exec", networkNamespace, "dotnet", dll];
        var start = new ProcessStartInfo(command[0], command[1..])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash (or when its host dies).</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process!.WaitForExitAsync(cancel.Token);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
