using System.Text;
using Corral.Cli.Live;
using Xunit;

namespace Corral.Tests.Cli;

/// <summary>corral logs -f's bookkeeping: every byte of the stored log printed once, in order, whatever arrives live.</summary>
public sealed class LogFollowerTests
{
    private readonly StringBuilder _printed = new();

    [Fact]
    public async Task FirstSync_PrintsTheWholeLog_AcrossManyPages()
    {
        var log = new FakeLogPages(pageBytes: 7);
        for (var i = 1; i <= 20; i++)
        {
            log.Append($"line {i}\n");
        }

        var follower = new LogFollower(log, "job", text => _printed.Append(text));
        await follower.SyncAsync(CancellationToken.None);

        Assert.Equal(log.All, _printed.ToString());
        Assert.Equal(20, follower.LastSeq);
    }

    [Fact]
    public async Task LiveChunks_AfterTheSync_ArePrintedOnce_AndDuplicatesIgnored()
    {
        var log = new FakeLogPages(pageBytes: 10);
        log.Append("a\n");
        var follower = new LogFollower(log, "job", text => _printed.Append(text));
        await follower.SyncAsync(CancellationToken.None);

        var seq = log.Append("b\n");
        await follower.OnChunkAsync(seq, "b\n", CancellationToken.None);
        await follower.OnChunkAsync(seq, "b\n", CancellationToken.None);
        await follower.OnChunkAsync(1, "a\n", CancellationToken.None);

        Assert.Equal("a\nb\n", _printed.ToString());
    }

    [Theory]
    [InlineData(5, 4096)]
    [InlineData(64, 4096)]
    [InlineData(1000, 2)]
    [InlineData(1 << 20, 4096)]
    public async Task AfterMissedChunks_AResyncPrintsOnlyWhatWasMissed(int pageBytes, int maxChunks)
    {
        var log = new FakeLogPages(pageBytes, maxChunks);
        var follower = new LogFollower(log, "job", text => _printed.Append(text));
        var random = new Random(pageBytes);
        for (var round = 0; round < 30; round++)
        {
            // Some chunks reach the follower live, some are lost (a reconnect), some arrive late or twice.
            var burst = random.Next(1, 6);
            var seqs = new List<(long Seq, string Text)>();
            for (var i = 0; i < burst; i++)
            {
                var text = $"r{round}c{i} é{new string('x', random.Next(0, 12))}\n";
                seqs.Add((log.Append(text), text));
            }

            switch (round % 4)
            {
                case 0:
                    foreach (var (seq, text) in seqs)
                    {
                        await follower.OnChunkAsync(seq, text, CancellationToken.None);
                    }

                    break;
                case 1:
                    await follower.SyncAsync(CancellationToken.None);
                    break;
                case 2:
                    var (lastSeq, lastText) = seqs[^1];
                    await follower.OnChunkAsync(lastSeq, lastText, CancellationToken.None);
                    await follower.OnChunkAsync(seqs[0].Seq, seqs[0].Text, CancellationToken.None);
                    break;
                default:
                    // Lost entirely: only a later chunk or sync brings them.
                    break;
            }
        }

        await follower.SyncAsync(CancellationToken.None);

        Assert.Equal(log.All, _printed.ToString());
    }
}
