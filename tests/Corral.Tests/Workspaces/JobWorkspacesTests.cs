using Corral.Files;
using Corral.HostAgent;
using Corral.HostAgent.Workspaces;
using Corral.Workers;
using Npgsql;
using Xunit;

namespace Corral.Tests.Workspaces;

/// <summary>A job's directory on the host: filled from the store before the container, measured without following links.</summary>
public sealed class JobWorkspacesTests : IDisposable
{
    private const string JobId = "fedcba9876543210fedcba9876543210";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "corral-work-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly InMemoryJobFileStore _store = new();
    private readonly JobWorkspaces _workspaces;

    public JobWorkspacesTests()
    {
        var settings = new HostAgentSettings(
            "unit", "127.0.0.1", new Uri("unix:///var/run/docker.sock"), 0, 0, [], SshCaps.Uncapped, false, null,
            JobWorkDirectorySetting: _root);
        _workspaces = new JobWorkspaces(settings, _store);
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task Prepare_WaitsOutADatabaseOutage_ThenFillsTheDirectoryOnce()
    {
        _store.Put(JobId, JobFileSet.Inputs, "a.txt", "first\n"u8.ToArray());
        _store.Put(JobId, JobFileSet.Inputs, "b.txt", "second\n"u8.ToArray());
        // The database is away for the first two attempts.
        _store.FailNextCopies(
            new NpgsqlException("Failed to connect to 127.0.0.1:5432", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused)),
            new PostgresException("the database system is starting up", "FATAL", "FATAL", PostgresErrorCodes.CannotConnectNow));

        var directory = await _workspaces.PrepareAsync(JobId, CancellationToken.None);

        Assert.Equal(["a.txt", "b.txt"], Directory.GetFiles(directory).Select(Path.GetFileName).Order());
        Assert.Equal("first\n", await File.ReadAllTextAsync(Path.Combine(directory, "a.txt")));
        Assert.Equal("second\n", await File.ReadAllTextAsync(Path.Combine(directory, "b.txt")));
    }

    [Fact]
    public async Task Prepare_FailsAtOnce_OnADatabaseErrorThatARetryCannotMend()
    {
        _store.Put(JobId, JobFileSet.Inputs, "a.txt", "first\n"u8.ToArray());
        _store.FailNextCopies(new PostgresException("relation \"corral_job_file_chunks\" does not exist", "ERROR", "ERROR", PostgresErrorCodes.UndefinedTable));

        var error = await Assert.ThrowsAsync<IOException>(() => _workspaces.PrepareAsync(JobId, CancellationToken.None));

        Assert.Contains("could not read the job's input files", error.Message);
        Assert.False(_workspaces.Exists(JobId));
    }

    [Fact]
    public async Task Prepare_CopiesTheInputs_ByteForByte_InNestedFolders_OwnedByTheJobsUser()
    {
        var binary = new byte[3_000_001];
        new Random(17).NextBytes(binary);
        _store.Put(JobId, JobFileSet.Inputs, "run.sh", "#!/bin/sh\necho hi\n"u8.ToArray());
        _store.Put(JobId, JobFileSet.Inputs, "data/a/b/big.bin", binary);
        _store.Put(JobId, JobFileSet.Results, "not-an-input.txt", [1]);

        var directory = await _workspaces.PrepareAsync(JobId, CancellationToken.None);

        Assert.Equal(Path.Combine(_root, JobId), directory);
        Assert.Equal(binary, await File.ReadAllBytesAsync(Path.Combine(directory, "data/a/b/big.bin")));
        Assert.Equal("#!/bin/sh\necho hi\n", await File.ReadAllTextAsync(Path.Combine(directory, "run.sh")));
        Assert.False(File.Exists(Path.Combine(directory, "not-an-input.txt")));
        foreach (var path in new[] { directory, Path.Combine(directory, "data/a"), Path.Combine(directory, "run.sh") })
        {
            Assert.Equal("1000:1000", await OwnerAsync(path));
        }
    }

    [Fact]
    public async Task Prepare_EmptiesADirectoryLeftByAStartThatNeverRan()
    {
        Directory.CreateDirectory(Path.Combine(_root, JobId));
        await File.WriteAllTextAsync(Path.Combine(_root, JobId, "stale.txt"), "old");

        var directory = await _workspaces.PrepareAsync(JobId, CancellationToken.None);

        Assert.Empty(Directory.EnumerateFileSystemEntries(directory));
    }

    [Fact]
    public async Task Prepare_RefusesAStoredPathThatWouldLeaveTheDirectory_AndLeavesNothing()
    {
        _store.Put(JobId, JobFileSet.Inputs, "../escaped.txt", [1]);

        var error = await Assert.ThrowsAsync<IOException>(() => _workspaces.PrepareAsync(JobId, CancellationToken.None));

        Assert.Contains("escaped.txt", error.Message, StringComparison.Ordinal);
        Assert.False(_workspaces.Exists(JobId));
        Assert.False(File.Exists(Path.Combine(_root, "escaped.txt")));
    }

    [Fact]
    public async Task SizeOf_CountsRegularFiles_AndNeverFollowsLinks()
    {
        var directory = await _workspaces.PrepareAsync(JobId, CancellationToken.None);
        Directory.CreateDirectory(Path.Combine(directory, "sub"));
        await File.WriteAllBytesAsync(Path.Combine(directory, "sub", "a.bin"), new byte[1000]);
        await File.WriteAllBytesAsync(Path.Combine(directory, "b.bin"), new byte[234]);
        var outside = Path.Combine(_root, "outside");
        Directory.CreateDirectory(outside);
        await File.WriteAllBytesAsync(Path.Combine(outside, "huge.bin"), new byte[100_000]);
        File.CreateSymbolicLink(Path.Combine(directory, "link-to-file"), Path.Combine(outside, "huge.bin"));
        Directory.CreateSymbolicLink(Path.Combine(directory, "link-to-dir"), outside);

        Assert.Equal(1234, _workspaces.SizeOf(JobId));
    }

    [Fact]
    public async Task DeleteAllBut_RemovesOnlyDirectoriesOfJobsWithoutAContainer()
    {
        const string Kept = "11111111111111111111111111111111";
        await _workspaces.PrepareAsync(JobId, CancellationToken.None);
        await _workspaces.PrepareAsync(Kept, CancellationToken.None);
        Directory.CreateDirectory(Path.Combine(_root, "not-a-job"));

        var removed = _workspaces.DeleteAllBut(new HashSet<string>([Kept]));

        Assert.Equal([JobId], removed);
        Assert.True(_workspaces.Exists(Kept));
        Assert.True(Directory.Exists(Path.Combine(_root, "not-a-job")));
    }

    private static async Task<string> OwnerAsync(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u:%g", path])
        {
            RedirectStandardOutput = true,
        })!;
        var output = await stat.StandardOutput.ReadToEndAsync();
        await stat.WaitForExitAsync();
        return output.Trim();
    }
}
