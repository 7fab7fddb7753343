using System.Text;
using Corral.HostAgent.Logs;
using Xunit;

namespace Corral.Tests.Logs;

public sealed class JsonFileLogSourceTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"corral-jsonlog-{Guid.NewGuid():N}.log");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public async Task FollowsAGrowingFile_WrittenInOddPieces_AndEndsAfterTheExit_WithEveryByte()
    {
        var output = HostileOutput(40_000);
        var file = Concat(DockerJsonLog.Entries(output));
        using var log = new DockerJsonLog(_path);
        var exited = new TaskCompletionSource();
        using var source = new JsonFileLogSource(_path, 0, exited.Task);

        var reading = ReadAllAsync(source);
        var random = new Random(5);
        for (var at = 0; at < file.Length;)
        {
            // Pieces cut anywhere, inside entries and inside escapes, with pauses the reader must wait out.
            var length = Math.Min(random.Next(1, 9000), file.Length - at);
            log.Append(file.AsSpan(at, length));
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
        Assert.Equal(file.Length, source.Position);
    }

    [Fact]
    public async Task OpenedAtAnEntryBoundary_ReadsOnFromThere()
    {
        var first = Encoding.UTF8.GetBytes("one\ntwo\n");
        using var log = new DockerJsonLog(_path);
        log.Append(Concat(DockerJsonLog.Entries(first)));
        var offset = log.Length;
        log.Append(Concat(DockerJsonLog.Entries("three\n"u8.ToArray())));

        using var source = new JsonFileLogSource(_path, offset, Task.CompletedTask);

        Assert.Equal("three\n"u8.ToArray(), await ReadAllAsync(source));
    }

    [Fact]
    public async Task AFileThatEndsInsideAnEntry_AfterTheExit_IsAnError()
    {
        using var log = new DockerJsonLog(_path);
        var entry = DockerJsonLog.Entry("cut\n"u8);
        log.Append(entry.AsSpan(0, entry.Length - 5));
        using var source = new JsonFileLogSource(_path, 0, Task.CompletedTask);

        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(source));
    }

    /// <summary>Coloured text, NUL and control bytes, CR progress bars and a line far longer than one entry.</summary>
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

    public static byte[] Concat(IEnumerable<byte[]> parts) => [.. parts.SelectMany(p => p)];

    private static async Task<byte[]> ReadAllAsync(ILogSource source)
    {
        var buffer = new byte[JsonFileLogSource.MaxEntryBytes];
        using var all = new MemoryStream();
        while (await source.ReadAsync(buffer, CancellationToken.None) is var count and > 0)
        {
            all.Write(buffer, 0, count);
        }

        return all.ToArray();
    }
}
