using Corral.Gateway.Jobs;
using Corral.Jobs;
using Corral.Storage;
using Xunit;

namespace Corral.Tests.Storage;

/// <summary>The gateway's job lists, read from the job index the job grains write: paged by cursor, filtered.</summary>
public sealed class JobListReaderTests : IClassFixture<GrainStoreDatabase>
{
    private readonly PostgresJobIndex _index;
    private readonly JobListReader _reader;

    public JobListReaderTests(GrainStoreDatabase db)
    {
        _index = new PostgresJobIndex(db.Statements, db.Database);
        _reader = new JobListReader(db.Database);
    }

    private static string Id(string user, int i) => $"{user.GetHashCode() & 0xfffffff:x8}{i:x24}";

    private async Task<List<string>> SubmitAsync(string user, int count, DateTimeOffset start, Func<int, (string Service, JobStatus Status)> of)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var (service, status) = of(i);
            // Each pair shares a submitted time: the id breaks the tie, so no job is listed twice or skipped.
            var at = start.AddMilliseconds(i / 2 * 2);
            await _index.WriteRowAsync(new JobRow(Id(user, i), user, service, JobKind.Batch, status, null, null, null, null, at, null, null, true));
            ids.Add(Id(user, i));
        }

        return ids;
    }

    private async Task<List<string>> AllPagesAsync(string? user, JobStatus? status, string? service, int limit)
    {
        var ids = new List<string>();
        (DateTimeOffset, string)? cursor = null;
        while (true)
        {
            var page = await _reader.ListAsync(user, status, service, limit, cursor, CancellationToken.None);
            Assert.True(page.Items.Count <= limit);
            ids.AddRange(page.Items.Select(j => j.Id));
            if (page.NextCursor is null)
            {
                return ids;
            }

            Assert.True(JobListReader.TryDecodeCursor(page.NextCursor, out var next));
            cursor = next;
        }
    }

    [Fact]
    public async Task Pages_follow_each_other_newest_first_without_gaps_or_repeats_even_on_equal_times()
    {
        var user = "pages" + Guid.NewGuid().ToString("N")[..6];
        var ids = await SubmitAsync(user, 25, DateTimeOffset.UtcNow, _ => ("svc", JobStatus.Queued));

        Assert.Equal(ids.AsEnumerable().Reverse(), await AllPagesAsync(user, null, null, 4));
        Assert.Equal(ids.AsEnumerable().Reverse(), await AllPagesAsync(user, null, null, 25));
    }

    [Fact]
    public async Task Filters_by_status_and_service_and_user_and_the_item_carries_the_rows_fields()
    {
        var user = "filter" + Guid.NewGuid().ToString("N")[..6];
        var ids = await SubmitAsync(user, 12, DateTimeOffset.UtcNow, i => (i % 3 == 0 ? "Train" : "eval", i % 2 == 0 ? JobStatus.Running : JobStatus.Failed));
        await SubmitAsync("someone" + Guid.NewGuid().ToString("N")[..6], 3, DateTimeOffset.UtcNow, _ => ("train", JobStatus.Running));

        Assert.Equal([ids[6], ids[0]], await AllPagesAsync(user, JobStatus.Running, "train", 10));
        Assert.Equal([ids[9], ids[3]], await AllPagesAsync(user, JobStatus.Failed, "TRAIN", 1));
        Assert.Equal(6, (await AllPagesAsync(user, JobStatus.Failed, null, 5)).Count);
        Assert.True((await AllPagesAsync(null, JobStatus.Running, "train", 100)).Count >= 5);

        var item = (await _reader.ListAsync(user, null, null, 1, null, CancellationToken.None)).Items.Single();
        Assert.Equal((ids[11], user, "eval", JobStatus.Failed, JobKind.Batch), (item.Id, item.User, item.Service, item.Status, item.Kind));
    }

    [Theory]
    [InlineData("")]
    [InlineData("bogus")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void A_cursor_the_reader_did_not_give_is_refused(string cursor) =>
        Assert.False(JobListReader.TryDecodeCursor(cursor, out _));

    [Fact]
    public void A_cursor_round_trips_to_the_microsecond()
    {
        var at = new DateTimeOffset(2026, 12, 6, 1, 2, 3, TimeSpan.Zero).AddTicks(4560);
        Assert.True(JobListReader.TryDecodeCursor(JobListReader.EncodeCursor(at, new string('a', 32)), out var decoded));
        Assert.Equal((at, new string('a', 32)), decoded);
    }
}
