using System.Text;
using Corral.Gateway.Jobs;
using Npgsql;
using Xunit;

namespace Corral.Tests.Storage;

/// <summary>
/// Reading a long log a page at a time (what the live hub's watchLogs and readLogsBefore answer): each page is the
/// 256 KiB before where the previous one started, whatever the size of the stored chunks, and the pages together
/// are exactly the whole log.
/// </summary>
public sealed class JobLogPagingTests : IClassFixture<GrainStoreDatabase>
{
    private readonly GrainStoreDatabase _db;
    private readonly JobLogReader _reader;

    public JobLogPagingTests(GrainStoreDatabase db)
    {
        _db = db;
        _reader = new JobLogReader(db.Database);
    }

    private async Task<byte[]> StoreAsync(string jobId, IEnumerable<byte[]> chunks)
    {
        var whole = new List<byte>();
        var seq = 0;
        foreach (var chunk in chunks)
        {
            await using var command = _db.Database.CreateCommand("INSERT INTO corral_job_logs (job_id, seq, content) VALUES ($1, $2, $3)");
            command.Parameters.Add(new NpgsqlParameter { Value = jobId });
            command.Parameters.Add(new NpgsqlParameter { Value = (long)seq++ });
            command.Parameters.Add(new NpgsqlParameter { Value = chunk });
            await command.ExecuteNonQueryAsync();
            whole.AddRange(chunk);
        }

        return [.. whole];
    }

    /// <summary>Pages back from the end until the start; every page bounded; the text they add up to.</summary>
    private async Task<(string Text, int Pages)> ReadBackAsync(string jobId)
    {
        var page = await _reader.ReadPageAsync(jobId, null, 0, CancellationToken.None);
        var text = page.Text;
        var pages = 1;
        while (page.HasEarlier)
        {
            page = await _reader.ReadPageAsync(jobId, page.FirstSeq, page.FirstOffset, CancellationToken.None);
            Assert.True(Encoding.UTF8.GetByteCount(page.Text) <= JobLogReader.PageBytes);
            text = page.Text + text;
            pages++;
        }

        Assert.Equal((0L, 0), (page.FirstSeq, page.FirstOffset));
        return (text, pages);
    }

    [Fact]
    public async Task A_log_of_1_MiB_chunks_opens_at_its_last_256_KiB_and_pages_back_to_exactly_the_whole_log()
    {
        // 8 MiB, each line naming its chunk and line: a page starts inside a chunk.
        var chunks = Enumerable.Range(0, 8).Select(i => Encoding.UTF8.GetBytes(
            string.Concat(Enumerable.Range(0, 1024 * 1024 / 32).Select(l => $"chunk {i} line {l:D8} .........\n")))).ToList();
        Assert.All(chunks, c => Assert.Equal(1024 * 1024, c.Length));
        var whole = await StoreAsync("mibchunks", chunks);

        var tail = await _reader.ReadPageAsync("mibchunks", null, 0, CancellationToken.None);
        Assert.Equal((7L, 3 * 256 * 1024, 7L, true), (tail.FirstSeq, tail.FirstOffset, tail.LastSeq, tail.HasEarlier));
        Assert.Equal(Encoding.UTF8.GetString(whole[^JobLogReader.PageBytes..]), tail.Text);

        var (text, pages) = await ReadBackAsync("mibchunks");
        Assert.Equal(Encoding.UTF8.GetString(whole), text);
        Assert.Equal(32, pages);
    }

    [Fact]
    public async Task Small_chunks_fill_a_page_across_chunks_and_a_cut_never_splits_a_character()
    {
        // Chunks of 100,003 bytes of three-byte characters: pages are cut inside chunks and between bytes of a character.
        var chunks = Enumerable.Range(0, 12).Select(i => Encoding.UTF8.GetBytes(new string((char)('\u4e00' + i), 33_334) + "\n")).ToList();
        var whole = await StoreAsync("smallchunks", chunks);

        var tail = await _reader.ReadPageAsync("smallchunks", null, 0, CancellationToken.None);
        Assert.Equal(11L, tail.LastSeq);
        Assert.Equal(9L, tail.FirstSeq);
        Assert.DoesNotContain('\uFFFD', tail.Text);

        var (text, _) = await ReadBackAsync("smallchunks");
        Assert.Equal(Encoding.UTF8.GetString(whole), text);
    }

    [Fact]
    public async Task A_log_with_nothing_stored_is_an_empty_page()
    {
        Assert.Equal(new LogPage(-1, 0, -1, "", false), await _reader.ReadPageAsync("nolog", null, 0, CancellationToken.None));
        await StoreAsync("onechunk", [Encoding.UTF8.GetBytes("only\n")]);
        Assert.Equal(new LogPage(0, 0, 0, "only\n", false), await _reader.ReadPageAsync("onechunk", null, 0, CancellationToken.None));
        Assert.Equal(new LogPage(0, 0, 0, "on", false), await _reader.ReadPageAsync("onechunk", 0, 2, CancellationToken.None));
        Assert.Equal(new LogPage(-1, 0, -1, "", false), await _reader.ReadPageAsync("onechunk", 0, 0, CancellationToken.None));
    }
}
