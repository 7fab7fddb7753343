using System.Text;
using Corral.Cli.Live;
using LogPageWindow = Corral.Gateway.Jobs.LogPageWindow;

namespace Corral.Tests.Cli;

/// <summary>
/// A stored log in memory, paged as the hub pages it (by <see cref="LogPageWindow"/>, JobLogReader.ReadPageAsync's rule:
/// the last PageBytes before a point, starting inside a chunk when cut, at most MaxChunks chunks), with a small page so
/// every test crosses pages.
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
        var newestFirst = Enumerable.Range(1, (int)Math.Min(endSeq, _chunks.Count)).Reverse().Select(seq => ((long)seq, _chunks[seq - 1].Length));
        var window = LogPageWindow.Find(newestFirst, endSeq, beforeOffset, pageBytes, maxChunks);
        if (window.IsEmpty)
        {
            return new LogPage(-1, 0, -1, "", false);
        }

        var text = new List<byte>();
        for (var seq = window.FirstSeq; seq <= window.LastSeq; seq++)
        {
            var chunk = _chunks[(int)seq - 1];
            var from = seq == window.FirstSeq ? window.FirstOffset : 0;
            var to = seq == endSeq ? Math.Min(beforeOffset, chunk.Length) : chunk.Length;
            text.AddRange(chunk[from..to]);
        }

        byte[] bytes = [.. text];
        var skip = window.CharacterStart(bytes);
        return new LogPage(window.FirstSeq, window.FirstOffset + skip, window.LastSeq, Encoding.UTF8.GetString(bytes, skip, bytes.Length - skip), window.HasEarlier);
    }
}
