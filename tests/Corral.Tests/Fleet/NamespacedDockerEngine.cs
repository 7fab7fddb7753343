using System.Diagnostics;

namespace Corral.Tests.Fleet;

/// <summary>
/// A Docker engine of its own inside a worker host's network namespace: its own data root, exec root, pid file and
/// socket, its own docker0 bridge and iptables rules (both live in the namespace). Entered with nsenter --net rather
/// than `ip netns exec`, which remounts /sys and so hides the cgroup hierarchies dockerd needs. It can be restarted on
/// the same data root (the faults suite's engine restart). Dispose removes its containers, stops it and deletes its
/// folders.
/// </summary>
public sealed class NamespacedDockerEngine : IAsyncDisposable
{
    private const string Cli = "/usr/bin/docker";

    private readonly string _dataRoot;
    private readonly string _runRoot;
    private string _namespacePath = "";
    private Process? _daemon;
    private StreamWriter? _log;

    private NamespacedDockerEngine(string id)
    {
        // /run for the sockets (short paths), /var/lib for the layers (overlay2 needs a real file system, not tmpfs).
        _dataRoot = $"/var/lib/corral-fleet-{id}";
        _runRoot = $"/run/corral-fleet-{id}";
    }

    /// <summary>The engine's socket, as DOCKER_HOST.</summary>
    public string Endpoint => $"unix://{_runRoot}/docker.sock";

    public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

    /// <summary>Whether the engine process is still running (a test's diagnostics).</summary>
    public bool Running => _daemon is { HasExited: false };

    private string LogPath => $"{_runRoot}/dockerd.log";

    private string ConfigPath => $"{_runRoot}/daemon.json";

    public static async Task<NamespacedDockerEngine> StartAsync(WorkerHostNamespace host)
    {
        var engine = new NamespacedDockerEngine(host.Name.Replace("corral-fl-", "", StringComparison.Ordinal));
        try
        {
            await engine.StartAsync(host.Path);
            return engine;
        }
        catch
        {
            await engine.DisposeAsync();
            throw;
        }
    }

    /// <summary>Copies an image from this machine's engine into this one (no registry is reachable here).</summary>
    public Task CopyImageAsync(string image) =>
        WorkerHostNamespace.RunCheckedAsync("bash", "-c", $"set -o pipefail; {Cli} save {image} | {Cli} -H {Endpoint} load");

    public Task<string> DockerAsync(params string[] arguments) =>
        WorkerHostNamespace.RunCheckedAsync(Cli, ["-H", Endpoint, .. arguments]);

    public async ValueTask DisposeAsync()
    {
        if (_daemon is { HasExited: false })
        {
            try
            {
                var ids = await DockerAsync("ps", "-aq");
                foreach (var id in ids.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    await DockerAsync("rm", "-f", id);
                }
            }
            catch (InvalidOperationException)
            {
                // Stopping the engine below stops what is left.
            }

            await StopDaemonAsync(TimeSpan.FromSeconds(30));
        }

        _daemon?.Dispose();
        _log?.Dispose();
        // Anything still mounted under the data root (a killed daemon's layers) must go before the folder can.
        await WorkerHostNamespace.RunCheckedAsync("bash", "-c",
            $"grep -o ' {_dataRoot}[^ ]*\\| {_runRoot}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l; rm -rf {_dataRoot} {_runRoot}");
    }

    /// <summary>
    /// Turns live-restore on or off in the running engine (a reload: SIGHUP re-reads its configuration), so that
    /// whether its containers outlive the next stop is decided before it stops.
    /// </summary>
    public async Task SetLiveRestoreAsync(bool enabled)
    {
        await WriteConfigurationAsync(enabled);
        await WorkerHostNamespace.RunCheckedAsync("kill", "-HUP", _daemon!.Id.ToString());
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await DockerAsync("info", "--format", "{{.LiveRestoreEnabled}}")).Trim() != (enabled ? "true" : "false"))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"the namespaced engine did not take live-restore={enabled}:\n{Log}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>
    /// Stops the engine as its service manager would (SIGTERM: without live-restore it stops every container first),
    /// leaves it down for <paramref name="down"/>, then starts it again on the same data root and configuration.
    /// </summary>
    public async Task RestartAsync(TimeSpan down)
    {
        // Without live-restore dockerd gives its containers their stop timeout before it exits: wait longer than that.
        await StopDaemonAsync(TimeSpan.FromSeconds(90));
        _daemon!.Dispose();
        await Task.Delay(down);
        await StartDaemonAsync();
    }

    private async Task StopDaemonAsync(TimeSpan timeout)
    {
        // SIGTERM lets dockerd stop its containerd and unmount its layers; KILL only if it hangs.
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await WorkerHostNamespace.RunCheckedAsync("kill", "-TERM", _daemon!.Id.ToString());
            await _daemon.WaitForExitAsync(wait.Token);
        }
        catch (Exception error) when (error is OperationCanceledException or InvalidOperationException)
        {
            _daemon!.Kill(entireProcessTree: true);
        }
    }

    private Task WriteConfigurationAsync(bool liveRestore) =>
        File.WriteAllTextAsync(ConfigPath, liveRestore ? "{ \"live-restore\": true }\n" : "{}\n");

    private async Task StartAsync(string namespacePath)
    {
        _namespacePath = namespacePath;
        Directory.CreateDirectory(_dataRoot);
        Directory.CreateDirectory(_runRoot);
        // An empty configuration: this machine's daemon.json (IPv6 on the bridge) is not for this engine.
        await WriteConfigurationAsync(liveRestore: false);
        await StartDaemonAsync();
    }

    private async Task StartDaemonAsync()
    {
        var start = new ProcessStartInfo("nsenter", [
            $"--net={_namespacePath}", "--", "/usr/sbin/dockerd",
            "--data-root", _dataRoot, "--exec-root", $"{_runRoot}/exec", "--pidfile", $"{_runRoot}/dockerd.pid",
            "-H", Endpoint, "--config-file", ConfigPath,
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _daemon = Process.Start(start)!;
        _log?.Dispose();
        // Appended to: a restarted engine's log follows the one before it.
        var log = _log = new StreamWriter(LogPath, append: true) { AutoFlush = true };
        _daemon.OutputDataReceived += (_, e) => Write(log, e.Data);
        _daemon.ErrorDataReceived += (_, e) => Write(log, e.Data);
        _daemon.BeginOutputReadLine();
        _daemon.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await DockerAsync("version", "--format", "{{.Server.Version}}");
                return;
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < deadline && !_daemon.HasExited)
            {
                await Task.Delay(500);
            }
            catch (InvalidOperationException error)
            {
                throw new InvalidOperationException($"the namespaced engine did not start:\n{Log}", error);
            }
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }
}
