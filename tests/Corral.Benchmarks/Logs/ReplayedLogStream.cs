using Microsoft.Net.Http.Client;

namespace Corral.Benchmarks.Logs;

/// <summary>
/// The engine's log stream without the engine: <paramref name="frames"/> (multiplexed frames, 8-byte header then
/// payload, as the logs API sends them) replayed <paramref name="repeats"/> times from memory, every read answered
/// at once. Feeding <c>new MultiplexedStream(this, true)</c> to the log pump measures the pump and the store alone.
/// </summary>
public sealed class ReplayedLogStream(byte[] frames, int repeats) : WriteClosableStream
{
    private int _at;
    private int _repeat;

    public override bool CanCloseWrite => false;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Splits <paramref name="content"/> into one stdout frame per line, the way the engine sends a json-file log.</summary>
    public static byte[] FramePerLine(ReadOnlySpan<byte> content)
    {
        using var framed = new MemoryStream();
        while (!content.IsEmpty)
        {
            var end = content.IndexOf((byte)'\n');
            var line = end < 0 ? content : content[..(end + 1)];
            framed.Write([1, 0, 0, 0, (byte)(line.Length >> 24), (byte)(line.Length >> 16), (byte)(line.Length >> 8), (byte)line.Length]);
            framed.Write(line);
            content = content[line.Length..];
        }

        return framed.ToArray();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_at == frames.Length)
        {
            if (++_repeat >= repeats)
            {
                return 0;
            }

            _at = 0;
        }

        var length = Math.Min(count, frames.Length - _at);
        frames.AsSpan(_at, length).CopyTo(buffer.AsSpan(offset));
        _at += length;
        return length;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer, offset, count));

    public override void CloseWrite() => throw new NotSupportedException();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
