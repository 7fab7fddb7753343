using System.Diagnostics;
using System.Text;
using Corral.Tests.EndToEnd;

namespace Corral.Tests.Fleet;

/// <summary>
/// A real HAProxy process running the shipped configuration (<c>deploy/haproxy/corral.cfg</c>), with only its
/// addresses changed: clients on a free loopback port, the statistics page on another, and the given gateways.
/// </summary>
public sealed class LoadBalancer : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _configFile;
    private bool _disposed;

    private LoadBalancer(Process process, string configFile, Uri address, Uri stats)
    {
        _process = process;
        _configFile = configFile;
        Address = address;
        Stats = stats;
    }

    /// <summary>The one URL clients use.</summary>
    public Uri Address { get; }

    /// <summary>HAProxy's statistics page (its CSV form tells which gateways are up).</summary>
    public Uri Stats { get; }

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

    public static LoadBalancer Start(IReadOnlyDictionary<string, Uri> gateways)
    {
        var address = new Uri($"http://127.0.0.1:{TestEnvironment.FreePort()}");
        var stats = new Uri($"http://127.0.0.1:{TestEnvironment.FreePort()}");
        var configFile = Path.Combine(Path.GetTempPath(), $"corral-haproxy-{Guid.NewGuid():N}.cfg");
        File.WriteAllText(configFile, Configure(File.ReadAllText(ShippedConfig), address, stats, gateways));
        var start = new ProcessStartInfo("haproxy", ["-db", "-f", configFile])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("haproxy did not start");
        var balancer = new LoadBalancer(process, configFile, address, stats);
        process.OutputDataReceived += (_, e) => balancer.Append(e.Data);
        process.ErrorDataReceived += (_, e) => balancer.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return balancer;
    }

    /// <summary>Each gateway's state as HAProxy's health checks see it ("UP", "DOWN", ...), by server name.</summary>
    public async Task<Dictionary<string, string>> GatewayStatesAsync()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var lines = (await client.GetStringAsync(new Uri(Stats, "/;csv"))).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].TrimStart('#', ' ').Split(',');
        var (proxy, server, status) = (Array.IndexOf(header, "pxname"), Array.IndexOf(header, "svname"), Array.IndexOf(header, "status"));
        return lines.Skip(1).Select(line => line.Split(','))
            .Where(f => f[proxy] == "gateways" && f[server] is not ("FRONTEND" or "BACKEND"))
            .ToDictionary(f => f[server], f => f[status], StringComparer.Ordinal);
    }

    public void Dispose()
    {
        // Twice when a fleet that failed to start is disposed by its own start and then by the test.
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        File.Delete(_configFile);
    }

    private static string ShippedConfig => Path.Combine(TestEnvironment.RepositoryRoot, "deploy", "haproxy", "corral.cfg");

    /// <summary>The shipped file with this test's addresses in place of its examples; everything else as shipped.</summary>
    private static string Configure(string shipped, Uri address, Uri stats, IReadOnlyDictionary<string, Uri> gateways)
    {
        var lines = new List<string>();
        foreach (var line in shipped.Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed == "bind 0.0.0.0:8080")
            {
                lines.Add($"    bind 127.0.0.1:{address.Port}");
            }
            else if (trimmed == "bind 127.0.0.1:8404")
            {
                lines.Add($"    bind 127.0.0.1:{stats.Port}");
            }
            else if (trimmed.StartsWith("server gateway1 ", StringComparison.Ordinal))
            {
                lines.AddRange(gateways.Select(g => $"    server {g.Key} {g.Value.Host}:{g.Value.Port} cookie {g.Key}"));
            }
            else if (!trimmed.StartsWith("server gateway", StringComparison.Ordinal))
            {
                lines.Add(line);
            }
        }

        var configured = string.Join('\n', lines);
        if (!configured.Contains($":{address.Port}", StringComparison.Ordinal) || !configured.Contains($":{stats.Port}", StringComparison.Ordinal)
            || !gateways.Keys.All(name => configured.Contains($"server {name} ", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException("deploy/haproxy/corral.cfg no longer has the lines this test replaces:\n" + shipped);
        }

        return configured;
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
