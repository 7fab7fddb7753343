using System.Net;
using System.Net.Sockets;
using Npgsql;
using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>A bad setting stops a process at start, naming the variable and the value.</summary>
public sealed class StartupValidationTests
{
    [Theory]
    [InlineData("Silo", "Corral.Silo", "SERVICE_EXAMPLE_RUNS_PER_USER", "0")]
    [InlineData("Silo", "Corral.Silo", "SERVICE_EXAMPLE_RUNS_PER_USER", "5.5")]
    [InlineData("Silo", "Corral.Silo", "CORRAL_WORKER_LOST_AFTER_SECONDS", "5")]
    [InlineData("Silo", "Corral.Silo", "CORRAL_GRAIN_STORAGE", "postgres")]
    [InlineData("HostAgent", "Corral.HostAgent", "SSH_MAX_CPU", "0")]
    [InlineData("HostAgent", "Corral.HostAgent", "SSH_MAX_MEMORY", "12XB")]
    [InlineData("HostAgent", "Corral.HostAgent", "LOG_QUOTA_PER_JOB_HOUR", "-1")]
    [InlineData("HostAgent", "Corral.HostAgent", "DATA_TRANSFER_QUOTA_PER_JOB", "1e9")]
    [InlineData("HostAgent", "Corral.HostAgent", "DATA_TRANSFER_EXCLUDED_CIDRS", "10.0.0.0/8,bogus")]
    [InlineData("HostAgent", "Corral.HostAgent", "JOB_OUTPUT_DIR", "relative/job-output")]
    [InlineData("HostAgent", "Corral.HostAgent", "JOB_OUTPUT_DIR", "/proc/corral-job-output")]
    [InlineData("Gateway", "Corral.Gateway", "CORRAL_ADMIN_TOKEN", "short")]
    public async Task BadSetting_StopsTheProcess_NamingTheVariable(string project, string assembly, string variable, string value)
    {
        using var process = new ManagedProcess(project, TestEnvironment.ProcessPath(project, assembly), new Dictionary<string, string>
        {
            ["CORRAL_POSTGRES"] = TestEnvironment.AdminConnectionString,
            ["CORRAL_CLUSTER_ID"] = "startup-validation-" + Guid.NewGuid().ToString("N")[..8],
            ["CORRAL_SILO_PORT"] = TestEnvironment.FreePort().ToString(),
            ["CORRAL_GATEWAY_PORT"] = "0",
            ["CORRAL_URL"] = $"http://127.0.0.1:{TestEnvironment.FreePort()}",
            [variable] = value,
        });
        process.Start();
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, exitCode);
        Assert.Contains(variable, process.Output);
    }

    [Theory]
    [InlineData("Silo", "Corral.Silo", "corral-silo", "CORRAL_OPS_URL")]
    [InlineData("HostAgent", "Corral.HostAgent", "corral-hostagent", "CORRAL_OPS_URL")]
    [InlineData("Gateway", "Corral.Gateway", "corral-gateway", "CORRAL_URL")]
    public async Task APortInUse_StopsTheProcessBeforeItJoinsTheCluster_NamingTheSetting(string project, string assembly, string command, string variable)
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";
        var cluster = "ops_port_" + Guid.NewGuid().ToString("N")[..8];
        var database = await TestEnvironment.CreateDatabaseAsync(cluster);
        try
        {
            await StartsAndStopsWithAPortInUseAsync(project, assembly, command, variable, database, cluster, url);
        }
        finally
        {
            await TestEnvironment.DropDatabaseAsync(cluster);
        }
    }

    private static async Task StartsAndStopsWithAPortInUseAsync(
        string project, string assembly, string command, string variable, string database, string cluster, string url)
    {
        using var process = new ManagedProcess(project, TestEnvironment.ProcessPath(project, assembly), new Dictionary<string, string>
        {
            ["CORRAL_POSTGRES"] = database,
            ["CORRAL_CLUSTER_ID"] = cluster,
            ["CORRAL_SILO_PORT"] = TestEnvironment.FreePort().ToString(),
            ["CORRAL_GATEWAY_PORT"] = "0",
            ["CORRAL_WORKER_NAME"] = cluster,
            [variable] = url,
        });
        process.Start();

        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exitCode);
        Assert.Contains(
            $"{command}: Invalid setting {variable}='{url}': another process already listens on that address and port.",
            process.Output);
        // It never joined: no silo of that cluster in the membership table, so no worker appeared to be lost at once
        // (the gateway, a client, never writes there).
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var members = new NpgsqlCommand("SELECT count(*) FROM orleansmembershiptable WHERE deploymentid = $1", connection)
        {
            Parameters = { new() { Value = cluster } },
        };
        Assert.Equal(0L, (long)(await members.ExecuteScalarAsync())!);
    }
}
