using System.Threading.Channels;
using Docker.DotNet;

namespace Corral.HostAgent.Logs;

/// <summary>
/// Moves one container's output to the log store: read, strip ANSI, count against the hourly quota, store in
/// batches. Reading waits while the store is behind (a small bounded channel), so a job that writes faster
/// than PostgreSQL takes it is slowed down instead of growing a buffer.
/// </summary>
public sealed class LogPump(LogStore store)
{
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
        var batch = new MemoryStream();
        while (await chunks.WaitToReadAsync(cancellationToken))
        {
            // Take whatever is waiting, up to a batch: one row per burst rather than per read.
            while (batch.Length < MaxBatchBytes && chunks.TryRead(out var chunk))
            {
                batch.Write(chunk);
            }

            await store.AppendAsync(jobId, seq++, batch.GetBuffer().AsMemory(0, (int)batch.Length), cancellationToken);
            batch.SetLength(0);
        }
    }
}
