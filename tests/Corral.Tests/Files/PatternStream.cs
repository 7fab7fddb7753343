namespace Corral.Tests.Files;

/// <summary>
/// A long run of deterministic binary bytes made as they are read (nothing held in memory), so a test can upload
/// hundreds of megabytes and hash the same bytes again. Seekable only back to the start, so its length is known.
/// </summary>
public sealed class PatternStream(long length, uint seed, bool seekable = true) : Stream
{
    private uint _state = seed | 1;
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => seekable;

    public override bool CanWrite => false;

    public override long Length => seekable ? length : throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, length - _position);
        for (var i = 0; i < n; i++)
        {
            // xorshift32: every byte value, no pattern a compressor or a text conversion would keep intact.
            _state ^= _state << 13;
            _state ^= _state >> 17;
            _state ^= _state << 5;
            buffer[i] = (byte)_state;
        }

        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer, offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override long Seek(long offset, SeekOrigin origin)
    {
        if (!seekable || offset != 0 || origin != SeekOrigin.Begin)
        {
            throw new NotSupportedException("only back to the start");
        }

        _state = seed | 1;
        _position = 0;
        return 0;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
