using System.Diagnostics;
using Corral.HostAgent.Containers;
using Corral.HostAgent.Egress;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Corral.Tests.EndToEnd;

/// <summary>What end-to-end tests need from the machine: the repository, PostgreSQL and the docker CLI.</summary>
public static class TestEnvironment
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>Release or Debug: whatever this test assembly was built as, so the processes match it.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";

    /// <summary>A connection string for a role that may create databases. deploy/test.sh sets it up.</summary>
    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("CORRAL_TEST_POSTGRES")
        ?? throw new InvalidOperationException(
            "CORRAL_TEST_POSTGRES is not set: run the tests with deploy/test.sh, which starts PostgreSQL and sets it.");

    public static string ProcessPath(string project, string assembly) =>
        Path.Combine(RepositoryRoot, project, "bin", Configuration, "net10.0", assembly + ".dll");

    /// <summary>A port for a server the test starts (see <see cref="TestPorts"/>).</summary>
    public static int FreePort() => TestPorts.Next();

    /// <summary>Creates an empty database with Corral's schema (deploy/sql) and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string name)
    {
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryRoot, "deploy", "sql"), "*.sql").Order(StringComparer.Ordinal))
        {
            await using var apply = new NpgsqlCommand(await File.ReadAllTextAsync(file), connection);
            await apply.ExecuteNonQueryAsync();
        }

        return connectionString;
    }

    public static Task DropDatabaseAsync(string name) => TestDatabases.DropAsync(AdminConnectionString, name);

    /// <summary>
    /// Removes the egress chains of jobs whose containers are gone, as the start of the host agent whose MAC key is
    /// <paramref name="macKey"/> does.
    /// </summary>
    public static async Task RemoveStaleEgressChainsAsync(byte[] macKey)
    {
        var firewall = new EgressFirewall(new IptablesCli(), new HostLock(), NullLogger<EgressFirewall>.Instance);
        await firewall.PrepareAsync(
            async _ => (await DockerAsync("ps", "-a", "--filter", "label=corral.job-id", "--format", "{{.Label \"corral.job-id\"}}"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries),
            jobId => JobMacAddress.For(jobId, macKey),
            CancellationToken.None);
    }

    /// <summary>Runs the docker CLI against the local engine and returns its output.</summary>
    public static async Task<string> DockerAsync(params string[] arguments)
    {
        var cli = File.Exists("/usr/bin/docker") ? "/usr/bin/docker" : "docker";
        using var process = Process.Start(new ProcessStartInfo(cli, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', arguments)} failed: {error}");
        }

        return output.Trim();
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find Orleans.sln above " + AppContext.BaseDirectory);
    }
}
