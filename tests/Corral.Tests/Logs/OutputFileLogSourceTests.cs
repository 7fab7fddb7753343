using System.Text;
using Corral.HostAgent.Logs;
using Xunit;

namespace Corral.Tests.Logs;

public sealed class OutputFileLogSourceTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"corral-output-{Guid.NewGuid():N}.out");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public async Task FollowsAGrowingFile_WrittenInOddPieces_AndEndsAfterTheExit_WithEveryByte()
    {
        var output = HostileOutput(40_000);
        using var job = new AppendingWriter(_path);
        var exited = new TaskCompletionSource();
        using var source = new OutputFileLogSource(_path, 0, exited.Task);

        var reading = ReadAllAsync(source);
        var random = new Random(5);
        for (var at = 0; at < output.Length;)
        {
            // Pieces cut anywhere, inside escapes and characters, with pauses the reader must wait out.
            var length = Math.Min(random.Next(1, 9000), output.Length - at);
            job.Append(output.AsSpan(at, length));
            at += length;
            if (random.Next(4) == 0)
            {
                await Task.Delay(random.Next(1, 80));
            }
        }

        Assert.False(reading.IsCompleted, "the source ended before the container exited");
        exited.SetResult();
        var read = await reading.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(output, read);
        Assert.Equal(output.Length, source.Position);
    }

    [Fact]
    public async Task InvalidUtf8_IsReadAsWritten()
    {
        byte[] output = [0xff, 0xfe, (byte)' ', 0xc3, (byte)'(', 0x00, (byte)'\n'];
        using (var job = new AppendingWriter(_path))
        {
            job.Append(output);
        }

        using var source = new OutputFileLogSource(_path, 0, Task.CompletedTask);

        Assert.Equal(output, await ReadAllAsync(source));
    }

    [Fact]
    public async Task OpenedAtAnOffset_ReadsOnFromThere()
    {
        using var job = new AppendingWriter(_path);
        job.Append("one\ntwo\n"u8);
        var offset = job.Length;
        job.Append("three\n"u8);

        using var source = new OutputFileLogSource(_path, offset, Task.CompletedTask);

        Assert.Equal("three\n"u8.ToArray(), await ReadAllAsync(source));
    }

    [Fact]
    public async Task AFileTheJobTruncates_IsReadAgainFromItsStart()
    {
        using var job = new AppendingWriter(_path);
        job.Append("before the truncation\n"u8);
        var exited = new TaskCompletionSource();
        using var source = new OutputFileLogSource(_path, 0, exited.Task);
        var buffer = new byte[1024];
        Assert.Equal(22, await source.ReadAsync(buffer, CancellationToken.None));

        job.Truncate();
        job.Append("after\n"u8);
        exited.SetResult();

        Assert.Equal("after\n"u8.ToArray(), await ReadAllAsync(source));
        Assert.True(source.SawTruncation);
    }

    /// <summary>Coloured text, NUL and control bytes, CR progress bars and a long line with no newline.</summary>
    public static byte[] HostileOutput(int longLineBytes)
    {
        var text = new StringBuilder();
        for (var i = 0; i < 200; i++)
        {
            text.Append($"\e[3{i % 8}mline {i:D5}\e[0m\0\u0001\u007f tab\t<&>\"\\ ✔\n");
            text.Append($"\r[{new string('#', i % 20),-20}] {i}%\e[K");
        }

        text.Append('\n').Append(new string('L', longLineBytes)).Append("\e]8;;https://example.com\e\\end");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static async Task<byte[]> ReadAllAsync(ILogSource source)
    {
        var buffer = new byte[64 * 1024];
        using var all = new MemoryStream();
        while (await source.ReadAsync(buffer, CancellationToken.None) is var count and > 0)
        {
            all.Write(buffer, 0, count);
        }

        return all.ToArray();
    }
}

/// <summary>Writes a job output file the way corral-run leaves it: one descriptor opened for appending.</summary>
public sealed class AppendingWriter(string path) : IDisposable
{
    private readonly FileStream _file = new(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);

    public long Length => _file.Length;

    public void Append(ReadOnlySpan<byte> bytes) => _file.Write(bytes);

    public void Truncate() => _file.SetLength(0);

    public void Dispose() => _file.Dispose();
}
