using System.Text;
using System.Threading.Channels;
using Corral.Feeds;
using Docker.DotNet;

namespace Corral.HostAgent.Logs;

/// <summary>
/// Moves one container's output to the log store: read, strip ANSI, count against the hourly quota, store in
/// batches. Reading waits while the store is behind (a small bounded channel), so a job that writes faster
/// than PostgreSQL takes it is slowed down instead of growing a buffer. Stored chunks also go to the job's
/// live feed, but only while some gateway watches it (asked every couple of seconds).
/// </summary>
public sealed class LogPump(LogStore store, IGrainFactory grains)
{
    private static readonly TimeSpan WatchCheckInterval = TimeSpan.FromSeconds(2);

    private const int ReadBufferBytes = 64 * 1024;
    private const int MaxBatchBytes = 1024 * 1024;
    private const int ChunksInFlight = 16;

    /// <summary>
    /// Pumps until the stream ends or the quota is crossed (then <paramref name="onQuotaExceeded"/> runs once and
    /// reading stops). Everything read before the crossing is stored, including the chunk that crossed it.
    /// </summary>
    public async Task RunAsync(
        string jobId, MultiplexedStream stream, LogQuotaMeter meter, long firstSeq,
        Func<Task> onQuotaExceeded, CancellationToken cancellationToken)
    {
        var chunks = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(ChunksInFlight)
        {
            SingleReader = true,
            SingleWriter = true,
        });
        var writer = StoreAsync(jobId, chunks.Reader, firstSeq, cancellationToken);
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
        MultiplexedStream stream, LogQuotaMeter meter, ChannelWriter<byte[]> chunks,
        Func<Task> onQuotaExceeded, CancellationToken cancellationToken)
    {
        var stripper = new AnsiStripper();
        var raw = new byte[ReadBufferBytes];
        var stripped = new byte[ReadBufferBytes];
        while (true)
        {
            var read = await stream.ReadOutputAsync(raw, 0, raw.Length, cancellationToken);
            if (read.EOF || read.Count == 0)
            {
                return;
            }

            var length = stripper.Strip(raw.AsSpan(0, read.Count), stripped);
            if (length == 0)
            {
                continue;
            }

            var over = meter.Add(length);
            await chunks.WriteAsync(stripped.AsSpan(0, length).ToArray(), cancellationToken);
            if (over)
            {
                await onQuotaExceeded();
                return;
            }
        }
    }

    private async Task StoreAsync(string jobId, ChannelReader<byte[]> chunks, long seq, CancellationToken cancellationToken)
    {
        var feed = grains.GetGrain<ILogFeedGrain>(jobId);
        // One decoder for the whole stream, so a character split across two batches is not mangled live.
        var decoder = Encoding.UTF8.GetDecoder();
        var watched = false;
        var nextWatchCheck = DateTime.MinValue;
        var batch = new MemoryStream();
        while (await chunks.WaitToReadAsync(cancellationToken))
        {
            // Take whatever is waiting, up to a batch: one row per burst rather than per read.
            while (batch.Length < MaxBatchBytes && chunks.TryRead(out var chunk))
            {
                batch.Write(chunk);
            }

            var bytes = batch.GetBuffer().AsMemory(0, (int)batch.Length);
            await store.AppendAsync(jobId, seq, bytes, cancellationToken);
            if (DateTime.UtcNow >= nextWatchCheck)
            {
                watched = await IsWatchedAsync(feed);
                nextWatchCheck = DateTime.UtcNow + WatchCheckInterval;
            }

            if (watched)
            {
                await feed.PublishAsync(new LogChunk(jobId, seq, Decode(decoder, bytes.Span)));
            }

            seq++;
            batch.SetLength(0);
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
}
