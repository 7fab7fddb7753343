using System.Text;
using Corral.Gateway.Jobs;
using Xunit;

namespace Corral.Tests.Unit;

/// <summary>Where a page of a stored log starts and ends: what a user opening a long log sees first.</summary>
public sealed class LogPageWindowTests
{
    private const long End = long.MaxValue;

    [Fact]
    public void APageOfTheEnd_TakesWholeChunksBackwards_AndStartsInsideTheOneThatDoesNotFit()
    {
        // Chunks 1..3 of 100, 100 and 50 bytes; a page of 200 bytes: all of 3 and 2, the last 50 of 1.
        var window = LogPageWindow.Find([(3, 50), (2, 100), (1, 100)], End, 0, pageBytes: 200, maxChunks: 10);

        Assert.Equal(new LogPageWindow(FirstSeq: 1, FirstOffset: 50, LastSeq: 3, Bytes: 200, HasEarlier: true), window);
    }

    [Fact]
    public void AWholeLogSmallerThanAPage_IsOnePage_WithNothingEarlier()
    {
        var window = LogPageWindow.Find([(2, 10), (1, 10)], End, 0, pageBytes: 200, maxChunks: 10);

        Assert.Equal(new LogPageWindow(1, 0, 2, 20, HasEarlier: false), window);
    }

    [Fact]
    public void APageBeforeAPoint_EndsAtThatByte_OfThatChunk()
    {
        // Before byte 30 of chunk 2: chunk 2's first 30 bytes and all of chunk 1.
        var window = LogPageWindow.Find([(2, 100), (1, 40)], endSeq: 2, beforeOffset: 30, pageBytes: 200, maxChunks: 10);

        Assert.Equal(new LogPageWindow(1, 0, 2, 70, HasEarlier: false), window);
    }

    [Fact]
    public void ALogOfTinyChunks_GivesAShorterPage_BoundedByTheChunkCount()
    {
        var window = LogPageWindow.Find(Enumerable.Range(1, 10).Reverse().Select(seq => ((long)seq, 1)), End, 0, pageBytes: 200, maxChunks: 4);

        Assert.Equal(new LogPageWindow(7, 0, 10, 4, HasEarlier: true), window);
    }

    [Fact]
    public void NothingBeforeThePoint_IsAnEmptyPage()
    {
        var window = LogPageWindow.Find([(1, 10)], endSeq: 1, beforeOffset: 0, pageBytes: 200, maxChunks: 10);

        Assert.True(window.IsEmpty);
        Assert.False(window.HasEarlier);
    }

    [Fact]
    public void APageCutInsideACharacter_StartsAtTheNextOne()
    {
        // "é" is two bytes, "€" three: a cut one byte into each skips the rest of it.
        var window = new LogPageWindow(1, 5, 1, 10, HasEarlier: true);

        Assert.Equal(1, window.CharacterStart(Encoding.UTF8.GetBytes("é!")[1..]));
        Assert.Equal(2, window.CharacterStart(Encoding.UTF8.GetBytes("€!")[1..]));
        Assert.Equal(0, window.CharacterStart(Encoding.UTF8.GetBytes("a€")));
        // A page that starts at a chunk's first byte is never cut.
        Assert.Equal(0, (window with { FirstOffset = 0 }).CharacterStart(Encoding.UTF8.GetBytes("€!")[1..]));
    }
}
