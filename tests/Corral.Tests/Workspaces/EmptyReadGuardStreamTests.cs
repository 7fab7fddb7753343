using Corral.HostAgent.Containers;
using Xunit;

namespace Corral.Tests.Workspaces;

/// <summary>The engine client's chunked stream throws on a zero-byte read; the guard answers those itself.</summary>
public sealed class EmptyReadGuardStreamTests
{
    [Fact]
    public async Task AZeroByteRead_NeverReachesTheInnerStream_AndOtherReadsDo()
    {
        await using var guarded = new EmptyReadGuardStream(new ThrowsOnEmptyRead(new MemoryStream([1, 2, 3])));

        Assert.Equal(0, await guarded.ReadAsync(Memory<byte>.Empty));
        Assert.Equal(0, await guarded.ReadAsync(new byte[4], 0, 0));
        var buffer = new byte[4];
        Assert.Equal(3, await guarded.ReadAtLeastAsync(buffer, 4, throwOnEndOfStream: false));
        Assert.Equal(new byte[] { 1, 2, 3, 0 }, buffer);
    }

    private sealed class ThrowsOnEmptyRead(Stream inner) : MemoryStream
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            buffer.IsEmpty ? throw new EndOfStreamException() : inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            count == 0 ? throw new EndOfStreamException() : inner.ReadAsync(buffer, offset, count, cancellationToken);
    }
}
