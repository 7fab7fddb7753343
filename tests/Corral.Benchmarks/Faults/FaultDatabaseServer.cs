using System.Diagnostics;
using Npgsql;

namespace Corral.Benchmarks.Faults;

/// <summary>
/// A PostgreSQL server of the suite's own (its own port and data folder, started with deploy/lib/postgres.sh), which
/// the suite may stop and kill: never the shared test server. Port: CORRAL_FAULTS_PG_PORT (55454 unless set).
/// </summary>
public sealed class FaultDatabaseServer
{
    private FaultDatabaseServer(string home, int port, string adminConnectionString)
    {
        Home = home;
        Port = port;
        AdminConnectionString = adminConnectionString;
    }

    public string Home { get; }

    public int Port { get; }

    public string DataFolder => Path.Combine(Home, "postgres", "data");

    /// <summary>The corral_test role, which may create databases.</summary>
    public string AdminConnectionString { get; }

    public static async Task<FaultDatabaseServer> StartAsync()
    {
        var port = int.TryParse(Environment.GetEnvironmentVariable("CORRAL_FAULTS_PG_PORT"), out var p) ? p : 55454;
        var home = Environment.GetEnvironmentVariable("CORRAL_FAULTS_PG_HOME") is { Length: > 0 } h ? h : "/tmp/corral-faults-pg";
        var connectionString = (await ShellAsync($"corral_pg_start_test_server {home} {port} >&2 && echo \"$CORRAL_TEST_POSTGRES\"")).Trim();
        return new FaultDatabaseServer(home, port, connectionString);
    }

    /// <summary>A fast shutdown (clients are disconnected, the server stops cleanly).</summary>
    public Task StopAsync() => ShellAsync($"corral_pg_stop {DataFolder}");

    /// <summary>Starts it again on the same data; after a kill, waits until the old backends have gone.</summary>
    public async Task RestartAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await ShellAsync($"corral_pg_start_test_server {Home} {Port} >&2");
                return;
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < deadline)
            {
                // Backends of a killed postmaster still hold its shared memory for a moment.
                await Task.Delay(1000);
            }
        }
    }

    /// <summary>SIGKILL to the postmaster, as in a crash: no shutdown checkpoint, backends left to notice.</summary>
    public async Task KillPostmasterAsync()
    {
        var pidFile = Path.Combine(DataFolder, "postmaster.pid");
        var pid = int.Parse(File.ReadLines(pidFile).First());
        using (var postmaster = Process.GetProcessById(pid))
        {
            postmaster.Kill();
        }

        while (State(pid) is { } state && state != 'Z')
        {
            await Task.Delay(100);
        }

        // The killed postmaster is not our child: this machine's init reaps orphans only after minutes, and until then
        // the zombie's pid makes pg_ctl and PostgreSQL itself take the server for running. Under systemd the postmaster
        // is the service's main process, reaped at once; removing the stale pid file here does what that reaping
        // would (the socket's lock file names the same pid). PostgreSQL still refuses to start while a backend of the
        // old server holds its shared memory.
        if (State(pid) == 'Z')
        {
            File.Delete(pidFile);
            File.Delete(Path.Combine(DataFolder, $".s.PGSQL.{Port}.lock"));
        }
    }

    /// <summary>A process's state letter from /proc (Z for a zombie), null when it is gone.</summary>
    private static char? State(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0];
        }
        catch (Exception error) when (error is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, MaxPoolSize = 24 }.ConnectionString;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var file in Directory.GetFiles(Path.Combine(BenchmarkEnvironment.RepositoryRoot, "deploy", "sql"), "*.sql").Order(StringComparer.Ordinal))
        {
            await using var apply = new NpgsqlCommand(await File.ReadAllTextAsync(file), connection);
            await apply.ExecuteNonQueryAsync();
        }

        return connectionString;
    }

    private static async Task<string> ShellAsync(string command)
    {
        var script = Path.Combine(BenchmarkEnvironment.RepositoryRoot, "deploy", "lib", "postgres.sh");
        // The server must not inherit a descriptor of ours: run under `flock /tmp/corral-host.lock` it would hold
        // the host lock for as long as it runs, so every descriptor above stderr is closed first.
        const string closeInherited = "for fd in $(ls /proc/$$/fd); do [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done 2>/dev/null;";
        var start = new ProcessStartInfo("bash", ["-c", $"{closeInherited} source {script} && {command}"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{command}' exited {process.ExitCode}: {await errors}");
        }

        return await output;
    }
}
