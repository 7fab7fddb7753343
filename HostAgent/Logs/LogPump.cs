using System.Buffers;
using System.Text;
using System.Threading.Channels;
using Corral.Feeds;

namespace Corral.HostAgent.Logs;

/// <summary>
/// Moves one container's output to the log store: read, strip ANSI, count against the hourly quota, store in
/// batches. Reading waits while the store is behind (a small bounded channel), so a job that writes faster
/// than PostgreSQL takes it is slowed down instead of growing a buffer.
/// </summary>
/// <remarks>
/// A source hands output over in reads of very different sizes (the engine's API one line per frame, the log
/// file whole MiBs). Stripped bytes of consecutive reads are gathered into one chunk for as long as the next read
/// is already waiting, and the chunk is passed on as soon as a read would wait (or the next read might not fit):
/// a burst becomes a few large rows, and a quiet job's last line is stored at once, never held back. Each chunk
/// carries the source's position after its last read, stored in the same row, so a resumed pump starts exactly
/// after the last stored byte.
/// </remarks>
/// <param name="store">Where stripped output is kept.</param>
/// <param name="grains">The cluster, for live output; without one (a benchmark of the pipeline alone) nothing is published.</param>
public sealed class LogPump(LogStore store, IGrainFactory? grains = null)
{
    private static readonly TimeSpan WatchCheckInterval = TimeSpan.FromSeconds(2);

    // One read of the output file: a syscall per 256 KiB is nothing next to stripping it. A chunk holds the
    // largest read (stripping never makes output longer).
    private const int ReadBufferBytes = 256 * 1024;
    private const int ChunkBytes = ReadBufferBytes;

    private const int MaxBatchBytes = 1024 * 1024;
    private const int ChunksInFlight = 16;

    /// <summary>
    /// Pumps until the source ends or the quota is crossed (then <paramref name="onQuotaExceeded"/> runs once and
    /// reading stops), or the raw bytes read reach <paramref name="rawBound"/> (then its end runs once and reading stops).
    /// Everything read before the crossing is stored, including the read that crossed it.
    /// Rows are numbered from <paramref name="firstSeq"/> (rows stored before a restart come first), and
    /// <paramref name="stripper"/> is a fresh one or one restored from the last stored row's checkpoint.
    /// </summary>
    public async Task RunAsync(
        string jobId, ILogSource source, LogQuotaMeter meter, long firstSeq, AnsiStripper stripper,
        Func<Task> onQuotaExceeded, RawOutputBound? rawBound, CancellationToken cancellationToken)
    {
        var chunks = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(ChunksInFlight)
        {
            SingleReader = true,
            SingleWriter = true,
        });
        var writer = StoreAsync(jobId, chunks, firstSeq, cancellationToken);
        try
        {
            await ReadAsync(source, stripper, meter, chunks.Writer, onQuotaExceeded, rawBound, cancellationToken);
        }
        finally
        {
            chunks.Writer.TryComplete();
            await writer;
        }
    }

    private static async Task ReadAsync(
        ILogSource source, AnsiStripper stripper, LogQuotaMeter meter, ChannelWriter<Chunk> chunks,
        Func<Task> onQuotaExceeded, RawOutputBound? rawBound, CancellationToken cancellationToken)
    {
        var raw = new byte[ReadBufferBytes];
        var chunk = Chunk.Rent();
        try
        {
            while (true)
            {
                var reading = source.ReadAsync(raw, cancellationToken);
                if (!reading.IsCompleted && chunk.Length > 0)
                {
                    // Nothing more is waiting: store what there is before waiting for the container.
                    chunk = await PassOnAsync(chunk, chunks, cancellationToken);
                }

                var count = await reading;
                if (count == 0)
                {
                    return;
                }

                if (chunk.Buffer.Length - chunk.Length < count)
                {
                    chunk = await PassOnAsync(chunk, chunks, cancellationToken);
                }

                var length = stripper.Strip(raw.AsSpan(0, count), chunk.Buffer.AsSpan(chunk.Length));
                chunk = chunk with
                {
                    Length = chunk.Length + length,
                    End = new LogPosition(source.Position, stripper.Checkpoint),
                };
                if (length > 0 && meter.Add(length))
                {
                    chunk = await PassOnAsync(chunk, chunks, cancellationToken);
                    await onQuotaExceeded();
                    return;
                }

                if (rawBound is not null && rawBound.Add(count))
                {
                    chunk = await PassOnAsync(chunk, chunks, cancellationToken);
                    await rawBound.OnReachedAsync();
                    return;
                }
            }
        }
        finally
        {
            // What was read is stored, also when reading failed; only a cancelled pump drops its last chunk.
            if (chunk.Length > 0 && !cancellationToken.IsCancellationRequested)
            {
                await chunks.WriteAsync(chunk, cancellationToken);
            }
            else
            {
                ArrayPool<byte>.Shared.Return(chunk.Buffer);
            }
        }
    }

    /// <summary>Hands a filled chunk to the store (waiting while it is behind) and returns a fresh, empty one.</summary>
    private static async Task<Chunk> PassOnAsync(Chunk chunk, ChannelWriter<Chunk> chunks, CancellationToken cancellationToken)
    {
        await chunks.WriteAsync(chunk, cancellationToken);
        return Chunk.Rent();
    }

    private async Task StoreAsync(string jobId, Channel<Chunk> chunks, long seq, CancellationToken cancellationToken)
    {
        var feed = grains?.GetGrain<ILogFeedGrain>(jobId);
        // One decoder for the whole stream, so a character split across two batches is not mangled live.
        var decoder = Encoding.UTF8.GetDecoder();
        var watched = false;
        var nextWatchCheck = DateTime.MinValue;
        var batch = new MemoryStream();
        try
        {
            while (await chunks.Reader.WaitToReadAsync(cancellationToken))
            {
                // Take whatever is waiting, up to a batch: one row per burst rather than per read.
                LogPosition? end = null;
                while (batch.Length < MaxBatchBytes && chunks.Reader.TryRead(out var chunk))
                {
                    batch.Write(chunk.Buffer, 0, chunk.Length);
                    end = chunk.End;
                    ArrayPool<byte>.Shared.Return(chunk.Buffer);
                }

                var bytes = batch.GetBuffer().AsMemory(0, (int)batch.Length);
                await store.AppendAsync(jobId, seq, bytes, end, cancellationToken);
                // Stored chunks also go to the job's live feed, but only while some gateway watches it.
                if (feed is not null && DateTime.UtcNow >= nextWatchCheck)
                {
                    watched = await IsWatchedAsync(feed);
                    nextWatchCheck = DateTime.UtcNow + WatchCheckInterval;
                }

                if (watched)
                {
                    await feed!.PublishAsync(new LogChunk(jobId, seq, Decode(decoder, bytes.Span)));
                }

                seq++;
                batch.SetLength(0);
            }
        }
        catch (Exception error)
        {
            // Stop the reader too, instead of leaving it waiting on a full channel nobody empties.
            chunks.Writer.TryComplete(error);
            throw;
        }
    }

    private static async Task<bool> IsWatchedAsync(ILogFeedGrain feed)
    {
        try
        {
            return await feed.HasWatchersAsync();
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // The cluster is unreachable for a moment: storing goes on, live viewers catch up from the store.
            return false;
        }
    }

    private static string Decode(Decoder decoder, ReadOnlySpan<byte> bytes)
    {
        var chars = new char[decoder.GetCharCount(bytes, flush: false)];
        var count = decoder.GetChars(bytes, chars, flush: false);
        return new string(chars, 0, count);
    }

    /// <summary>
    /// Stripped bytes <c>Buffer[..Length]</c>, in a pooled buffer the store returns once written, and where they end
    /// in the source (null for a source without positions).
    /// </summary>
    private readonly record struct Chunk(byte[] Buffer, int Length, LogPosition? End)
    {
        public static Chunk Rent() => new(ArrayPool<byte>.Shared.Rent(ChunkBytes), 0, null);
    }
}
