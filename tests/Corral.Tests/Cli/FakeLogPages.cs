using System.Text;
using Corral.Cli.Live;

namespace Corral.Tests.Cli;

/// <summary>
/// A stored log as the hub pages it (JobLogReader.ReadPageAsync's rules: the last PageBytes before a point, starting
/// inside a chunk when cut, at most MaxChunks chunks), with a small page so every test crosses pages.
/// </summary>
public sealed class FakeLogPages(int pageBytes, int maxChunks = 4096) : ILogPages
{
    private readonly List<byte[]> _chunks = [];

    /// <summary>Chunk seqs start at 1.</summary>
    public long Append(string text)
    {
        _chunks.Add(Encoding.UTF8.GetBytes(text));
        return _chunks.Count;
    }

    public string All => string.Concat(_chunks.Select(c => Encoding.UTF8.GetString(c)));

    public Task<LogPage> WatchAsync(string jobId, CancellationToken cancellationToken) => Task.FromResult(Page(null, 0));

    public Task<LogPage> ReadBeforeAsync(string jobId, long seq, int offset, CancellationToken cancellationToken) => Task.FromResult(Page(seq, offset));

    private LogPage Page(long? beforeSeq, int beforeOffset)
    {
        var endSeq = beforeSeq ?? long.MaxValue;
        long firstSeq = -1, lastSeq = -1;
        int firstOffset = 0, bytes = 0, taken = 0;
        var hasEarlier = false;
        for (long seq = Math.Min(endSeq, _chunks.Count); seq >= 1; seq--)
        {
            var length = _chunks[(int)seq - 1].Length;
            var available = seq == endSeq ? Math.Min(beforeOffset, length) : length;
            if (available <= 0)
            {
                continue;
            }

            if (bytes == pageBytes || taken == maxChunks)
            {
                hasEarlier = true;
                break;
            }

            lastSeq = lastSeq < 0 ? seq : lastSeq;
            firstSeq = seq;
            var take = Math.Min(available, pageBytes - bytes);
            firstOffset = available - take;
            bytes += take;
            taken++;
            if (firstOffset > 0)
            {
                hasEarlier = true;
                break;
            }
        }

        if (lastSeq < 0)
        {
            return new LogPage(-1, 0, -1, "", false);
        }

        var text = new List<byte>();
        for (var seq = firstSeq; seq <= lastSeq; seq++)
        {
            var chunk = _chunks[(int)seq - 1];
            var from = seq == firstSeq ? firstOffset : 0;
            var to = seq == endSeq ? Math.Min(beforeOffset, chunk.Length) : chunk.Length;
            text.AddRange(chunk[from..to]);
        }

        // As the server does: a page cut inside a chunk starts at the next character, not inside one.
        var skip = 0;
        while (firstOffset > 0 && skip < 3 && skip < text.Count && (text[skip] & 0xC0) == 0x80)
        {
            skip++;
        }

        return new LogPage(firstSeq, firstOffset + skip, lastSeq, Encoding.UTF8.GetString([.. text.Skip(skip)]), hasEarlier);
    }
}
