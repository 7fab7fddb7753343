using System.Diagnostics;
using System.Text;

namespace Corral.Benchmarks.Faults;

/// <summary>
/// One server process (silo, host agent or gateway) from the built binaries, its recent output kept for a failure's
/// report; in <paramref name="networkNamespace"/> when one is named (`ip netns exec` execs it, so a kill is still a
/// SIGKILL of the server itself). With CORRAL_FAULTS_LOG_DIR set, every line also goes to NAME.log there, to see
/// afterwards where a recovery's time went.
/// </summary>
public sealed class ServerProcess(
    string name, string project, string assembly, IReadOnlyDictionary<string, string> environment, string? networkNamespace = null)
    : IDisposable
{
    private const int KeptOutput = 8000;
    private const int KeptExceptionLines = 40;
    private readonly StringBuilder _output = new();
    private readonly List<string> _exceptionLines = [];
    private readonly StreamWriter? _log = OpenLog(name);
    private Process? _process;

    public string Name { get; } = name;

    public bool HasExited => _process is null || _process.HasExited;

    /// <summary>Whether <see cref="Kill"/> ended it (rather than the process exiting on its own).</summary>
    public bool Killed { get; private set; }

    public string OutputTail
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// The first lines where a gateway says why it answered 500 ("not an outage", with the causes' types), kept
    /// however much is logged after them.
    /// </summary>
    public IReadOnlyList<string> ExceptionLines
    {
        get
        {
            lock (_output)
            {
                return [.. _exceptionLines];
            }
        }
    }

    public void Start()
    {
        var configuration = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        var dll = Path.Combine(BenchmarkEnvironment.RepositoryRoot, project, "bin", configuration, "net10.0", assembly + ".dll");
        string[] command = networkNamespace is null ? ["dotnet", dll] : ["ip", "netns", "exec", networkNamespace, "dotnet", dll];
        var start = new ProcessStartInfo(command[0], command[1..]) { RedirectStandardOutput = true, RedirectStandardError = true };
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

    /// <summary>SIGKILL: no shutdown code runs, as in a crash.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            Killed = true;
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        lock (_output)
        {
            _log?.Dispose();
        }
    }

    private static StreamWriter? OpenLog(string name) =>
        Environment.GetEnvironmentVariable("CORRAL_FAULTS_LOG_DIR") is { Length: > 0 } folder
            ? new StreamWriter(Path.Combine(Directory.CreateDirectory(folder).FullName, name + ".log"), append: true) { AutoFlush = true }
            : null;

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_exceptionLines.Count < KeptExceptionLines && line.Contains("not an outage", StringComparison.Ordinal))
            {
                _exceptionLines.Add(line.Length > 400 ? line[..400] : line);
            }

            _log?.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
            _output.AppendLine(line);
            if (_output.Length > 2 * KeptOutput)
            {
                _output.Remove(0, _output.Length - KeptOutput);
            }
        }
    }
}
