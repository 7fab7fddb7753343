using System.Text;
using Corral.HostAgent.Logs;
using Corral.Tests.EndToEnd;
using Npgsql;
using Xunit;

namespace Corral.Tests.Logs;

/// <summary>The job's output file, the pump and the store (real PostgreSQL), stopped mid-log and resumed from the stored position.</summary>
public sealed class LogResumeTests : IAsyncLifetime, IDisposable
{
    private readonly string _database = "corral_logresume_" + Guid.NewGuid().ToString("N")[..10];
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"corral-resume-{Guid.NewGuid():N}.out");
    private NpgsqlDataSource _dataSource = null!;

    public async Task InitializeAsync() => _dataSource = NpgsqlDataSource.Create(await TestEnvironment.CreateDatabaseAsync(_database));

    public async Task DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await TestEnvironment.DropDatabaseAsync(_database);
    }

    public void Dispose() => File.Delete(_path);

    [Fact]
    public async Task APumpStoppedInsideASplitEscape_ResumesFromTheStoredRow_WithNothingLostOrTwice()
    {
        // The first run stops right after "\e[1;3", inside an escape sequence the job wrote in two pieces.
        var before = Encoding.UTF8.GetBytes("first \e[1;3");
        var after = Encoding.UTF8.GetBytes("1mred\e[0m\n").Concat(OutputFileLogSourceTests.HostileOutput(50_000)).ToArray();
        var jobId = "resume" + Guid.NewGuid().ToString("N");
        var store = new LogStore(_dataSource, TimeProvider.System);
        var pump = new LogPump(store);
        using var log = new AppendingWriter(_path);
        log.Append(before);

        // First run: reads what is there, stores it, then dies (cancelled, like a killed agent) while the container runs.
        using (var stop = new CancellationTokenSource())
        using (var source = new OutputFileLogSource(_path, 0, new TaskCompletionSource().Task))
        {
            var running = pump.RunAsync(jobId, source, new LogQuotaMeter(0, TimeProvider.System), 0, new AnsiStripper(), () => Task.CompletedTask, null, stop.Token);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while ((await store.GetProgressAsync(jobId, DateTimeOffset.MinValue, CancellationToken.None)).End?.FileOffset != log.Length)
            {
                Assert.True(DateTime.UtcNow < deadline, "the first run did not store what was written");
                await Task.Delay(20);
            }

            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        }

        // Written while no agent ran; then the container ends.
        log.Append(after);
        var stored = await store.GetProgressAsync(jobId, DateTimeOffset.MinValue, CancellationToken.None);
        Assert.Equal("first "u8.ToArray().Length, stored.BytesTotal);
        using (var source = new OutputFileLogSource(_path, stored.End!.Value.FileOffset, Task.CompletedTask))
        {
            var stripper = AnsiStripper.FromCheckpoint(stored.End.Value.StripperCheckpoint);
            await pump.RunAsync(jobId, source, new LogQuotaMeter(0, TimeProvider.System), stored.NextSeq, stripper, () => Task.CompletedTask, null, CancellationToken.None);
        }

        Assert.Equal(AnsiStripper.StripAll([.. before, .. after]), await StoredAsync(jobId));
        var last = await store.GetProgressAsync(jobId, DateTimeOffset.MinValue, CancellationToken.None);
        Assert.Equal(log.Length, last.End!.Value.FileOffset);
    }

    private async Task<byte[]> StoredAsync(string jobId)
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT coalesce(string_agg(content, ''::bytea ORDER BY seq), ''::bytea) FROM corral_job_logs WHERE job_id = $1");
        command.Parameters.AddWithValue(jobId);
        return (byte[])(await command.ExecuteScalarAsync())!;
    }
}
