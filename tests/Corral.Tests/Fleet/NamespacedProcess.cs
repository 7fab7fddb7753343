using System.Diagnostics;
using System.Text;

namespace Corral.Tests.Fleet;

/// <summary>
/// A Corral process (`dotnet DLL`) run inside a network namespace with `ip netns exec`, which execs it: the process
/// this class holds is the dotnet process itself, so <see cref="Kill"/> is a real SIGKILL of it.
/// </summary>
public sealed class NamespacedProcess(string name, string namespaceName, string dll, IReadOnlyDictionary<string, string> environment)
    : IDisposable
{
    private readonly StringBuilder _output = new();
    private Process? _process;

    public string Name { get; } = name;

    public bool HasExited => _process is null || _process.HasExited;

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
        var start = new ProcessStartInfo("ip", ["netns", "exec", namespaceName, "dotnet", dll])
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

    /// <summary>SIGKILL: no shutdown code runs, as when the host dies.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
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
