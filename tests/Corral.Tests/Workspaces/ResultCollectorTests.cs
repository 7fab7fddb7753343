using System.Formats.Tar;
using System.Text;
using Corral.Files;
using Corral.HostAgent.Workspaces;
using Xunit;

namespace Corral.Tests.Workspaces;

/// <summary>
/// The collector's path handling on archives shaped as the engine sends them (entries named "work/..."): what is
/// kept, under which name, and what is left out.
/// </summary>
public sealed class ResultCollectorTests
{
    private const string JobId = "0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("work", null)]
    [InlineData("work/", null)]
    [InlineData("work/a.txt", "a.txt")]
    [InlineData("work/dir/", "dir")]
    [InlineData("work/dir/sub/b.bin", "dir/sub/b.bin")]
    [InlineData("./work/c", "c")]
    public void EntryNames_LoseTheDirectorysOwnName(string entry, string? expected) =>
        Assert.Equal(expected, ResultCollector.RelativePath(entry));

    [Fact]
    public async Task RegularFiles_AreStoredByteForByte_UnderTheirRelativePaths()
    {
        var binary = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var archive = Archive(
            Dir("work/"),
            File("work/out.txt", "hello\n"),
            Dir("work/deep/"),
            Dir("work/deep/er/"),
            File("work/deep/er/data.bin", binary),
            File("work/empty", []));
        var store = new InMemoryJobFileStore();

        var collected = await new ResultCollector(store).CollectAsync(JobId, archive, long.MaxValue, CancellationToken.None);

        Assert.Equal((3, 6L + 256), (collected.Files, collected.Bytes));
        Assert.Empty(collected.Skipped);
        Assert.Equal(["deep/er/data.bin", "empty", "out.txt"], (await store.ListAsync(JobId, JobFileSet.Results, CancellationToken.None)).Select(f => f.Path));
        Assert.Equal(binary, store.Get(JobId, JobFileSet.Results, "deep/er/data.bin"));
        Assert.Equal("hello\n"u8.ToArray(), store.Get(JobId, JobFileSet.Results, "out.txt"));
    }

    [Fact]
    public async Task LinksDevicesFifosAndEscapingNames_AreLeftOut_NeverStoredAsWhatTheyPointAt()
    {
        var archive = Archive(
            Dir("work/"),
            new PaxTarEntry(TarEntryType.SymbolicLink, "work/passwd") { LinkName = "/etc/passwd" },
            new PaxTarEntry(TarEntryType.HardLink, "work/hard") { LinkName = "work/kept.txt" },
            new PaxTarEntry(TarEntryType.Fifo, "work/pipe"),
            new PaxTarEntry(TarEntryType.CharacterDevice, "work/null") { DeviceMajor = 1, DeviceMinor = 3 },
            File("work/../etc/shadow", "not ours\n"),
            File("work/kept.txt", "kept\n"));
        var store = new InMemoryJobFileStore();

        var collected = await new ResultCollector(store).CollectAsync(JobId, archive, long.MaxValue, CancellationToken.None);

        Assert.Equal(["kept.txt"], (await store.ListAsync(JobId, JobFileSet.Results, CancellationToken.None)).Select(f => f.Path));
        Assert.Equal(5, collected.Skipped.Count);
        Assert.Contains(collected.Skipped, s => s.StartsWith("passwd ", StringComparison.Ordinal));
        Assert.Contains(collected.Skipped, s => s.StartsWith("../etc/shadow ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Collecting_ReplacesEarlierResults()
    {
        var store = new InMemoryJobFileStore();
        store.Put(JobId, JobFileSet.Results, "gone.txt", [1, 2, 3]);
        store.Put(JobId, JobFileSet.Inputs, "input.txt", [4]);

        await new ResultCollector(store).CollectAsync(JobId, Archive(File("work/new.txt", "n")), long.MaxValue, CancellationToken.None);

        Assert.Equal(["new.txt"], (await store.ListAsync(JobId, JobFileSet.Results, CancellationToken.None)).Select(f => f.Path));
        Assert.NotNull(store.Get(JobId, JobFileSet.Inputs, "input.txt"));
    }

    [Fact]
    public async Task AFileOverTheBudget_IsLeftOut_AndSmallerOnesAfterItAreKept()
    {
        var store = new InMemoryJobFileStore();
        var archive = Archive(File("work/a", new byte[60]), File("work/big", new byte[50]), File("work/c", new byte[30]));

        var collected = await new ResultCollector(store).CollectAsync(JobId, archive, 100, CancellationToken.None);

        Assert.Equal(["a", "c"], (await store.ListAsync(JobId, JobFileSet.Results, CancellationToken.None)).Select(f => f.Path));
        Assert.Equal(90, collected.Bytes);
        Assert.Contains(collected.Skipped, s => s.StartsWith("big ", StringComparison.Ordinal));
    }

    private static PaxTarEntry Dir(string name) => new(TarEntryType.Directory, name);

    private static PaxTarEntry File(string name, string content) => File(name, Encoding.UTF8.GetBytes(content));

    private static PaxTarEntry File(string name, byte[] content) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) };

    private static MemoryStream Archive(params TarEntry[] entries)
    {
        var archive = new MemoryStream();
        using (var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var entry in entries)
            {
                writer.WriteEntry(entry);
            }
        }

        archive.Position = 0;
        return archive;
    }
}
