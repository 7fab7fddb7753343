using System.IO.Compression;
using Corral.Files;
using Xunit;

namespace Corral.Tests.Files;

/// <summary>The streamed ZIP of a job's files: every file under its stored path with its exact bytes.</summary>
public sealed class JobFilesZipTests(FileStoreDatabase database) : IClassFixture<FileStoreDatabase>
{
    [Fact]
    public async Task TheZip_HoldsEveryFile_ByteForByte_UnderItsPath_WrittenToAStreamThatCannotSeek()
    {
        var job = FileStoreDatabase.NewJobId();
        var files = new Dictionary<string, byte[]>
        {
            ["output.txt"] = "Job complete\n"u8.ToArray(),
            ["deep/dir/binary.bin"] = FileStoreDatabase.Bytes(PostgresJobFileStore.ChunkBytes + 3, 9),
            ["empty"] = [],
        };
        foreach (var (path, content) in files)
        {
            await database.Store.SaveAsync(job, JobFileSet.Results, path, new MemoryStream(content), long.MaxValue, default);
        }

        var written = new WriteOnlyStream();
        await JobFilesZip.WriteAsync(database.Store, job, JobFileSet.Results, written, default);

        using var zip = new ZipArchive(new MemoryStream(written.ToArray()), ZipArchiveMode.Read);
        Assert.Equal(files.Keys.Order(StringComparer.Ordinal), zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        foreach (var entry in zip.Entries)
        {
            using var read = new MemoryStream();
            await using (var content = entry.Open())
            {
                await content.CopyToAsync(read);
            }

            Assert.Equal(files[entry.FullName], read.ToArray());
        }
    }

    [Fact]
    public async Task AJobWithoutFiles_GivesAnEmptyZip()
    {
        var written = new WriteOnlyStream();
        await JobFilesZip.WriteAsync(database.Store, FileStoreDatabase.NewJobId(), JobFileSet.Results, written, default);

        using var zip = new ZipArchive(new MemoryStream(written.ToArray()), ZipArchiveMode.Read);
        Assert.Empty(zip.Entries);
    }

    /// <summary>Like a response body: no seeking, no length, no synchronous writes.</summary>
    private sealed class WriteOnlyStream : Stream
    {
        private readonly MemoryStream _written = new();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public byte[] ToArray() => _written.ToArray();

        public override void Write(byte[] buffer, int offset, int count) =>
            throw new InvalidOperationException("synchronous write");

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            _written.WriteAsync(buffer, offset, count, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            _written.WriteAsync(buffer, cancellationToken);

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
