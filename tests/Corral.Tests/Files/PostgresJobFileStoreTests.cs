using Corral.Files;
using Xunit;

namespace Corral.Tests.Files;

/// <summary>The job file store on a real PostgreSQL: what goes in comes out byte for byte, and a failed write leaves nothing.</summary>
public sealed class PostgresJobFileStoreTests(FileStoreDatabase database) : IClassFixture<FileStoreDatabase>
{
    private const int Chunk = PostgresJobFileStore.ChunkBytes;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Chunk - 1)]
    [InlineData(Chunk)]
    [InlineData(Chunk + 1)]
    [InlineData((5 * Chunk / 2) + 7)]
    public async Task BinaryContent_RoundTripsByteForByte_AcrossChunkBoundaries(int length)
    {
        var job = FileStoreDatabase.NewJobId();
        var content = FileStoreDatabase.Bytes(length, length);

        var stored = await database.Store.SaveAsync(job, JobFileSet.Inputs, "data/in.bin", new MemoryStream(content), long.MaxValue, default);

        Assert.Equal(length, stored);
        Assert.Equal([new StoredFile("data/in.bin", length)], await database.Store.ListAsync(job, JobFileSet.Inputs, default));
        using var read = new MemoryStream();
        Assert.True(await database.Store.CopyToAsync(job, JobFileSet.Inputs, "data/in.bin", read, default));
        Assert.Equal(content, read.ToArray());
    }

    [Fact]
    public async Task SavingAPathAgain_ReplacesItsContent()
    {
        var job = FileStoreDatabase.NewJobId();
        await database.Store.SaveAsync(job, JobFileSet.Results, "out.txt", new MemoryStream(FileStoreDatabase.Bytes(Chunk + 10, 1)), long.MaxValue, default);
        var second = FileStoreDatabase.Bytes(100, 2);

        await database.Store.SaveAsync(job, JobFileSet.Results, "out.txt", new MemoryStream(second), long.MaxValue, default);

        Assert.Equal([new StoredFile("out.txt", 100)], await database.Store.ListAsync(job, JobFileSet.Results, default));
        using var read = new MemoryStream();
        await database.Store.CopyToAsync(job, JobFileSet.Results, "out.txt", read, default);
        Assert.Equal(second, read.ToArray());
        Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM corral_job_file_chunks WHERE job_id = $1", job));
    }

    [Fact]
    public async Task AFileOverItsBudget_Throws_AndKeepsNothingOfIt_NorLosesTheOneItWouldReplace()
    {
        var job = FileStoreDatabase.NewJobId();
        var kept = FileStoreDatabase.Bytes(10, 3);
        await database.Store.SaveAsync(job, JobFileSet.Inputs, "a.bin", new MemoryStream(kept), long.MaxValue, default);

        var error = await Assert.ThrowsAsync<FileTooLargeException>(() => database.Store.SaveAsync(
            job, JobFileSet.Inputs, "b.bin", new MemoryStream(FileStoreDatabase.Bytes(2 * Chunk + 1, 4)), 2 * Chunk, default));
        await Assert.ThrowsAsync<FileTooLargeException>(() => database.Store.SaveAsync(
            job, JobFileSet.Inputs, "a.bin", new MemoryStream(FileStoreDatabase.Bytes(101, 5)), 100, default));

        Assert.Equal("b.bin", error.Path);
        Assert.Equal([new StoredFile("a.bin", 10)], await database.Store.ListAsync(job, JobFileSet.Inputs, default));
        Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM corral_job_file_chunks WHERE job_id = $1", job));
        using var read = new MemoryStream();
        await database.Store.CopyToAsync(job, JobFileSet.Inputs, "a.bin", read, default);
        Assert.Equal(kept, read.ToArray());
    }

    [Fact]
    public async Task List_IsInPathOrder_PerSet_AndEmptyForAJobWithoutFiles()
    {
        var job = FileStoreDatabase.NewJobId();
        foreach (var path in new[] { "z.txt", "a/b/c.txt", "a.txt" })
        {
            await database.Store.SaveAsync(job, JobFileSet.Inputs, path, new MemoryStream([1, 2, 3]), long.MaxValue, default);
        }

        await database.Store.SaveAsync(job, JobFileSet.Results, "result.txt", new MemoryStream([1]), long.MaxValue, default);

        Assert.Equal(["a.txt", "a/b/c.txt", "z.txt"], (await database.Store.ListAsync(job, JobFileSet.Inputs, default)).Select(f => f.Path));
        Assert.Equal(["result.txt"], (await database.Store.ListAsync(job, JobFileSet.Results, default)).Select(f => f.Path));
        Assert.Empty(await database.Store.ListAsync(FileStoreDatabase.NewJobId(), JobFileSet.Inputs, default));
        Assert.False(await database.Store.CopyToAsync(job, JobFileSet.Results, "a.txt", new MemoryStream(), default));
    }

    [Fact]
    public async Task Delete_RemovesOneSetWithItsChunks_AndSaysHowMany()
    {
        var job = FileStoreDatabase.NewJobId();
        await database.Store.SaveAsync(job, JobFileSet.Inputs, "one", new MemoryStream(FileStoreDatabase.Bytes(Chunk + 1, 6)), long.MaxValue, default);
        await database.Store.SaveAsync(job, JobFileSet.Inputs, "two", new MemoryStream([7]), long.MaxValue, default);
        await database.Store.SaveAsync(job, JobFileSet.Results, "out", new MemoryStream([8]), long.MaxValue, default);

        Assert.Equal(2, await database.Store.DeleteAsync(job, JobFileSet.Inputs, default));

        Assert.Empty(await database.Store.ListAsync(job, JobFileSet.Inputs, default));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM corral_job_file_chunks WHERE job_id = $1 AND file_set = 0", job));
        Assert.Single(await database.Store.ListAsync(job, JobFileSet.Results, default));
        Assert.Equal(0, await database.Store.DeleteAsync(job, JobFileSet.Inputs, default));
    }
}
