using System.Net;
using System.Text;
using Corral.HostAgent.Logs;
using Corral.Tests.EndToEnd;
using Corral.Tests.Fleet;
using Npgsql;
using Xunit;

namespace Corral.Tests.Logs;

/// <summary>
/// The log store while PostgreSQL is away: its connection goes through a forwarder the test closes (every
/// connection cut, new ones refused) and opens again, as a database restart looks to the host agent.
/// </summary>
public sealed class LogStoreOutageTests : IAsyncLifetime
{
    private readonly string _database = "corral_logoutage_" + Guid.NewGuid().ToString("N")[..10];
    private IPEndPoint _server = null!;
    private TcpForwarder _forwarder = null!;
    private NpgsqlDataSource _dataSource = null!;
    private NpgsqlDataSource _direct = null!;

    public async Task InitializeAsync()
    {
        var connectionString = await TestEnvironment.CreateDatabaseAsync(_database);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        _server = new IPEndPoint(IPAddress.Loopback, builder.Port);
        _forwarder = new TcpForwarder(new IPEndPoint(IPAddress.Loopback, 0), _server);
        _direct = NpgsqlDataSource.Create(connectionString);
        _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString)
        {
            Host = "127.0.0.1",
            Port = _forwarder.Endpoint.Port,
            Timeout = 2,
        }.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        _forwarder.Dispose();
        await _dataSource.DisposeAsync();
        await _direct.DisposeAsync();
        await TestEnvironment.DropDatabaseAsync(_database);
    }

    [Fact]
    public async Task AChunkStoredDuringAnOutage_WaitsForTheDatabase_AndIsStoredOnce()
    {
        var jobId = "outage" + Guid.NewGuid().ToString("N");
        var store = new LogStore(_dataSource, TimeProvider.System);
        await store.AppendAsync(jobId, 0, "before\n"u8.ToArray(), new LogPosition(7, 0), CancellationToken.None);

        var port = _forwarder.Endpoint.Port;
        _forwarder.Dispose();
        var during = store.AppendAsync(jobId, 1, "during\n"u8.ToArray(), new LogPosition(14, 0), CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.False(during.IsCompleted, $"the append did not wait for the database: {during.Exception?.InnerException?.Message}");

        _forwarder = new TcpForwarder(new IPEndPoint(IPAddress.Loopback, port), _server);
        await during.WaitAsync(TimeSpan.FromSeconds(30));
        // The agent retries a chunk whose commit it never heard of: the same number stores nothing twice.
        await store.AppendAsync(jobId, 1, "during\n"u8.ToArray(), new LogPosition(14, 0), CancellationToken.None);

        Assert.Equal("before\nduring\n", await StoredLogAsync(jobId));
        var progress = await store.GetProgressAsync(jobId, DateTimeOffset.MinValue, CancellationToken.None);
        Assert.Equal((2L, 14L), (progress.NextSeq, progress.End!.Value.FileOffset));
    }

    private async Task<string> StoredLogAsync(string jobId)
    {
        await using var command = _direct.CreateCommand("SELECT content FROM corral_job_logs WHERE job_id = $1 ORDER BY seq");
        command.Parameters.AddWithValue(jobId);
        await using var reader = await command.ExecuteReaderAsync();
        var log = new StringBuilder();
        while (await reader.ReadAsync())
        {
            log.Append(Encoding.UTF8.GetString((byte[])reader[0]));
        }

        return log.ToString();
    }
}
