using System.Text;
using Corral.Gateway.Jobs;
using Npgsql;
using Xunit;

namespace Corral.Tests.Storage;

/// <summary>
/// Reading a long log a page at a time (what the live hub's watchLogs and readLogsBefore answer): each page is the
/// end of what comes before it, in whole chunks, bounded, and the pages together are exactly the whole log.
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

    private async Task<string> StoreAsync(string jobId, IEnumerable<string> chunks)
    {
        var whole = new StringBuilder();
        var seq = 0;
        foreach (var chunk in chunks)
        {
            await using var command = _db.Database.CreateCommand("INSERT INTO corral_job_logs (job_id, seq, content) VALUES ($1, $2, $3)");
            command.Parameters.Add(new NpgsqlParameter { Value = jobId });
            command.Parameters.Add(new NpgsqlParameter { Value = (long)seq++ });
            command.Parameters.Add(new NpgsqlParameter { Value = Encoding.UTF8.GetBytes(chunk) });
            await command.ExecuteNonQueryAsync();
            whole.Append(chunk);
        }

        return whole.ToString();
    }

    [Fact]
    public async Task A_long_log_is_read_back_from_its_end_in_bounded_pages_of_whole_chunks_that_add_up_to_it()
    {
        // About 3 MiB in 32 chunks of about 100,000 bytes, each line naming its chunk: 2 whole ones fit a page.
        var chunks = Enumerable.Range(0, 32).Select(i => string.Concat(Enumerable.Repeat($"chunk {i:D2} line\n", 100_000 / 14))).ToList();
        var whole = await StoreAsync("longlog", chunks);

        var page = await _reader.ReadPageAsync("longlog", null, CancellationToken.None);
        Assert.Equal((30L, 31L, true), (page.FirstSeq, page.LastSeq, page.HasEarlier));
        Assert.Equal(string.Concat(chunks[30..]), page.Text);
        Assert.True(Encoding.UTF8.GetByteCount(page.Text) <= JobLogReader.PageBytes);

        var text = page.Text;
        var pages = 1;
        while (page.HasEarlier)
        {
            page = await _reader.ReadPageAsync("longlog", page.FirstSeq, CancellationToken.None);
            Assert.True(Encoding.UTF8.GetByteCount(page.Text) <= JobLogReader.PageBytes);
            text = page.Text + text;
            pages++;
        }

        Assert.Equal(whole, text);
        Assert.Equal(0, page.FirstSeq);
        Assert.Equal(16, pages);
    }

    [Fact]
    public async Task A_chunk_bigger_than_a_page_comes_whole_and_a_missing_log_is_empty()
    {
        var big = new string('x', JobLogReader.PageBytes + 10);
        await StoreAsync("bigchunk", ["before\n", big]);

        var page = await _reader.ReadPageAsync("bigchunk", null, CancellationToken.None);
        Assert.Equal((1L, 1L, true, big), (page.FirstSeq, page.LastSeq, page.HasEarlier, page.Text));
        Assert.Equal(new LogPage(0, 0, "before\n", false), await _reader.ReadPageAsync("bigchunk", 1, CancellationToken.None));
        Assert.Equal(new LogPage(-1, -1, "", false), await _reader.ReadPageAsync("nolog", null, CancellationToken.None));
    }
}
