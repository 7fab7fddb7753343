using System.Buffers;
using System.Text;
using System.Threading.Channels;
using Corral.Feeds;
using Docker.DotNet;

namespace Corral.HostAgent.Logs;

/// <summary>
/// Moves one container's output to the log store: read, strip ANSI, count against the hourly quota, store in
/// batches. Reading waits while the store is behind (a small bounded channel), so a job that writes faster
/// than PostgreSQL takes it is slowed down instead of growing a buffer.
/// </summary>
/// <remarks>
/// The engine hands output over one line per frame, so a chatty job produces many tiny reads. Stripped bytes of
/// consecutive reads are gathered into one chunk for as long as the next read is already buffered, and the chunk
/// is passed on as soon as a read would wait (or the chunk is full): a burst becomes a few large rows, and a quiet
/// job's last line is stored at once, never held back.
/// </remarks>
/// <param name="store">Where stripped output is kept.</param>
/// <param name="grains">The cluster, for live output; without one (a benchmark of the pipeline alone) nothing is published.</param>
public sealed class LogPump(LogStore store, IGrainFactory? grains = null)
{
    private static readonly TimeSpan WatchCheckInterval = TimeSpan.FromSeconds(2);

    private const int ReadBufferBytes = 64 * 1024;
    private const int ChunkBytes = 64 * 1024;

    // A chunk with less room than this is passed on rather than filled with ever smaller reads.
    private const int MinReadBytes = 4 * 1024;
    private const int MaxBatchBytes = 1024 * 1024;
    private const int ChunksInFlight = 16;

    /// <summary>
    /// Pumps until the stream ends or the quota is crossed (then <paramref name="onQuotaExceeded"/> runs once and
    /// reading stops). Everything read before the crossing is stored, including the read that crossed it.
    /// </summary>
    public async Task RunAsync(
        string jobId, MultiplexedStream stream, LogQuotaMeter meter, long firstSeq,
        Func<Task> onQuotaExceeded, CancellationToken cancellationToken)
    {
        var chunks = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(ChunksInFlight)
        {
            SingleReader = true,
            SingleWriter = true,
        });
        var writer = StoreAsync(jobId, chunks, firstSeq, cancellationToken);
        try
        {
            await ReadAsync(stream, meter, chunks.Writer, onQuotaExceeded, cancellationToken);
        }
        finally
        {
            chunks.Writer.TryComplete();
            await writer;
        }
    }

    private static async Task ReadAsync(
        MultiplexedStream stream, LogQuotaMeter meter, ChannelWriter<Chunk> chunks,
        Func<Task> onQuotaExceeded, CancellationToken cancellationToken)
    {
        var stripper = new AnsiStripper();
        var raw = new byte[ReadBufferBytes];
        var chunk = new Chunk(ArrayPool<byte>.Shared.Rent(ChunkBytes), 0);
        try
        {
            while (true)
            {
                var room = chunk.Buffer.Length - chunk.Length;
                var reading = stream.ReadOutputAsync(raw, 0, Math.Min(raw.Length, room), cancellationToken);
                if (!reading.IsCompleted && chunk.Length > 0)
                {
                    // Nothing more is waiting: store what there is before waiting for the container.
                    chunk = await PassOnAsync(chunk, chunks, cancellationToken);
                }

                var read = await reading;
                if (read.EOF || read.Count == 0)
                {
                    return;
                }

                var length = stripper.Strip(raw.AsSpan(0, read.Count), chunk.Buffer.AsSpan(chunk.Length));
                if (length == 0)
                {
                    continue;
                }

                chunk = chunk with { Length = chunk.Length + length };
                if (meter.Add(length))
                {
                    chunk = await PassOnAsync(chunk, chunks, cancellationToken);
                    await onQuotaExceeded();
                    return;
                }

                if (chunk.Buffer.Length - chunk.Length < MinReadBytes)
                {
                    chunk = await PassOnAsync(chunk, chunks, cancellationToken);
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
        return new Chunk(ArrayPool<byte>.Shared.Rent(ChunkBytes), 0);
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
                while (batch.Length < MaxBatchBytes && chunks.Reader.TryRead(out var chunk))
                {
                    batch.Write(chunk.Buffer, 0, chunk.Length);
                    ArrayPool<byte>.Shared.Return(chunk.Buffer);
                }

                var bytes = batch.GetBuffer().AsMemory(0, (int)batch.Length);
                await store.AppendAsync(jobId, seq, bytes, cancellationToken);
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

    /// <summary>Stripped bytes <c>Buffer[..Length]</c>, in a pooled buffer the store returns once written.</summary>
    private readonly record struct Chunk(byte[] Buffer, int Length);
}
