namespace Corral.Gateway.Jobs;

/// <summary>
/// Where a page of a stored log lies: the chunks <see cref="FirstSeq"/>..<see cref="LastSeq"/>, the first from byte
/// <see cref="FirstOffset"/>, <see cref="Bytes"/> in all, and whether output comes before it. The rule of
/// <see cref="JobLogReader.ReadPageAsync"/>, apart from where the chunks' sizes come from.
/// </summary>
public readonly record struct LogPageWindow(long FirstSeq, int FirstOffset, long LastSeq, int Bytes, bool HasEarlier)
{
    /// <summary>No output before the point asked for.</summary>
    public bool IsEmpty => LastSeq < 0;

    /// <summary>
    /// The last <paramref name="pageBytes"/> before byte <paramref name="beforeOffset"/> of chunk
    /// <paramref name="endSeq"/> (<see cref="long.MaxValue"/>: the end of the log), over at most
    /// <paramref name="maxChunks"/> chunks, from the chunks' sizes newest first (those after the point left out).
    /// The page starts inside a chunk when a whole one would not fit, so it is bounded whatever the chunks' sizes.
    /// </summary>
    public static LogPageWindow Find(IEnumerable<(long Seq, int Length)> newestFirst, long endSeq, int beforeOffset, int pageBytes, int maxChunks)
    {
        long firstSeq = -1, lastSeq = -1;
        int firstOffset = 0, bytes = 0, taken = 0;
        foreach (var (seq, length) in newestFirst)
        {
            var available = seq == endSeq ? Math.Min(beforeOffset, length) : length;
            if (available <= 0)
            {
                continue;
            }

            if (bytes == pageBytes || taken == maxChunks)
            {
                return new LogPageWindow(firstSeq, firstOffset, lastSeq, bytes, HasEarlier: true);
            }

            lastSeq = lastSeq < 0 ? seq : lastSeq;
            firstSeq = seq;
            var take = Math.Min(available, pageBytes - bytes);
            firstOffset = available - take;
            bytes += take;
            taken++;
            if (firstOffset > 0)
            {
                return new LogPageWindow(firstSeq, firstOffset, lastSeq, bytes, HasEarlier: true);
            }
        }

        return new LogPageWindow(firstSeq, firstOffset, lastSeq, bytes, HasEarlier: false);
    }

    /// <summary>
    /// How many bytes a page's text skips so that it starts at a character, not inside one: a page cut inside a chunk
    /// may begin with UTF-8 continuation bytes (at most 3).
    /// </summary>
    public int CharacterStart(ReadOnlySpan<byte> text)
    {
        var skip = 0;
        while (FirstOffset > 0 && skip < 3 && skip < text.Length && (text[skip] & 0xC0) == 0x80)
        {
            skip++;
        }

        return skip;
    }
}
