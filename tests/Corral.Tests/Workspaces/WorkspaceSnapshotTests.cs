using System.Text;
using Corral.Files;
using Corral.HostAgent;
using Corral.HostAgent.Containers;
using Corral.HostAgent.Workspaces;
using Corral.Tests.EndToEnd;
using Corral.Workers;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit;

namespace Corral.Tests.Workspaces;

/// <summary>
/// A snapshot of a running job's directory (what IHostGrain.SnapshotFilesAsync does), on the real engine and
/// PostgreSQL: a job container made as the agent names them, with the directory at /work.
/// </summary>
public sealed class WorkspaceSnapshotTests : IAsyncLifetime
{
    private readonly string _database = "corral_snap_" + Guid.NewGuid().ToString("N")[..10];
    private readonly string _root = Path.Combine(Path.GetTempPath(), "corral-snap-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _jobId = Guid.NewGuid().ToString("N");
    private NpgsqlDataSource _data = null!;
    private PostgresJobFileStore _store = null!;
    private JobWorkspaces _workspaces = null!;
    private WorkspaceResults _results = null!;

    public async Task InitializeAsync()
    {
        _data = NpgsqlDataSource.Create(await TestEnvironment.CreateDatabaseAsync(_database));
        _store = new PostgresJobFileStore(_data);
        var settings = new HostAgentSettings(
            "snap", "127.0.0.1", new Uri("unix:///var/run/docker.sock"), 0, 0, [], SshCaps.Uncapped, false, null,
            JobWorkDirectorySetting: _root);
        _workspaces = new JobWorkspaces(settings, _store);
        var runtime = new ContainerRuntime(ContainerRuntime.Connect(settings.DockerEndpoint));
        _results = new WorkspaceResults(_workspaces, runtime, new ResultCollector(_store), settings, NullLogger<WorkspaceResults>.Instance);
    }

    public async Task DisposeAsync()
    {
        try
        {
            await TestEnvironment.DockerAsync("rm", "-f", ContainerLabels.NameFor(_jobId));
        }
        catch (InvalidOperationException)
        {
        }

        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }

        await _data.DisposeAsync();
        await TestEnvironment.DropDatabaseAsync(_database);
    }

    [Fact]
    public async Task Snapshot_CopiesTheLiveDirectory_ReplacingTheLastOne_AndSaysFalseWithoutOne()
    {
        Assert.False(await _results.SnapshotAsync(_jobId, CancellationToken.None));
        await _store.SaveAsync(_jobId, JobFileSet.Inputs, "in.txt", new MemoryStream("input\n"u8.ToArray()), long.MaxValue, CancellationToken.None);
        var directory = await _workspaces.PrepareAsync(_jobId, CancellationToken.None);
        await TestEnvironment.DockerAsync(
            "run", "-d", "--name", ContainerLabels.NameFor(_jobId), "--user", ContainerSpecBuilder.JobUser,
            "--mount", $"type=bind,source={directory},target=/work", "-w", "/work",
            "corral/busybox:latest", "sh", "-c", "echo one > first.txt; sleep 120");
        await WaitUntilAsync(() => File.Exists(Path.Combine(directory, "first.txt")));

        Assert.True(await _results.SnapshotAsync(_jobId, CancellationToken.None));
        Assert.Equal(["first.txt", "in.txt"], await PathsAsync());

        await TestEnvironment.DockerAsync("exec", ContainerLabels.NameFor(_jobId), "sh", "-c", "rm first.txt; mkdir -p d; echo two > d/second.txt");
        Assert.True(await _results.SnapshotAsync(_jobId, CancellationToken.None));
        Assert.Equal(["d/second.txt", "in.txt"], await PathsAsync());
        using var second = new MemoryStream();
        Assert.True(await _store.CopyToAsync(_jobId, JobFileSet.Results, "d/second.txt", second, CancellationToken.None));
        Assert.Equal("two\n", Encoding.UTF8.GetString(second.ToArray()));

        // The end: collected once more, and the directory goes.
        await _results.CollectAndRemoveAsync(_jobId, CancellationToken.None);
        Assert.False(_workspaces.Exists(_jobId));
        Assert.Equal(["d/second.txt", "in.txt"], await PathsAsync());
        Assert.False(await _results.SnapshotAsync(_jobId, CancellationToken.None));
    }

    private async Task<List<string>> PathsAsync() =>
        [.. (await _store.ListAsync(_jobId, JobFileSet.Results, CancellationToken.None)).Select(f => f.Path)];

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 30 s");
            await Task.Delay(100);
        }
    }
}
