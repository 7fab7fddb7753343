using System.Text;

namespace Corral.Cli.Live;

/// <summary>
/// Prints a job's output once, in order, from live chunks (numbered by seq) and stored pages. A chunk that
/// follows the last one printed is printed; after a gap or a reconnect, <see cref="SyncAsync"/> reads stored pages
/// back from the end until one starts where the printed text's position is known, and prints only what follows.
/// Positions are byte offsets from the log's start: known for each chunk printed live and each page read.
/// </summary>
public sealed class LogFollower(ILogPages pages, string jobId, Action<string> write)
{
    private readonly Dictionary<long, long> _chunkStart = [];
    private long _last = -1;
    private long _printed;

    /// <summary>The seq of the last chunk printed (-1: none yet).</summary>
    public long LastSeq => _last;

    /// <summary>Prints whatever is stored past what was printed (all of it the first time).</summary>
    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        var newest = await pages.WatchAsync(jobId, cancellationToken);
        if (newest.LastSeq < 0 || newest.LastSeq <= _last)
        {
            return;
        }

        var read = new List<LogPage> { newest };
        long start;
        while (true)
        {
            var first = read[0];
            if (!first.HasEarlier)
            {
                start = 0;
                break;
            }

            if (_chunkStart.TryGetValue(first.FirstSeq, out var chunk) && chunk + first.FirstOffset <= _printed)
            {
                start = chunk + first.FirstOffset;
                break;
            }

            read.Insert(0, await pages.ReadBeforeAsync(jobId, first.FirstSeq, first.FirstOffset, cancellationToken));
        }

        var position = start;
        var text = new StringBuilder();
        foreach (var page in read.Where(p => p.FirstSeq >= 0))
        {
            _chunkStart.TryAdd(page.FirstSeq, position - page.FirstOffset);
            position += Encoding.UTF8.GetByteCount(page.Text);
            text.Append(page.Text);
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        var skip = (int)Math.Clamp(_printed - start, 0, bytes.Length);
        if (skip < bytes.Length)
        {
            write(Encoding.UTF8.GetString(bytes, skip, bytes.Length - skip));
        }

        _printed = Math.Max(_printed, start + bytes.Length);
        _last = newest.LastSeq;
        _chunkStart[_last + 1] = _printed;
    }

    /// <summary>A live chunk: printed when it is the next one, ignored when already printed, else a sync.</summary>
    public async Task OnChunkAsync(long seq, string text, CancellationToken cancellationToken)
    {
        if (seq <= _last)
        {
            return;
        }

        if (seq != _last + 1 || _last < 0)
        {
            await SyncAsync(cancellationToken);
            if (seq != _last + 1)
            {
                return;
            }
        }

        write(text);
        _chunkStart[seq] = _printed;
        _printed += Encoding.UTF8.GetByteCount(text);
        _last = seq;
        _chunkStart[seq + 1] = _printed;
    }
}
