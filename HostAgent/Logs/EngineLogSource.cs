using Docker.DotNet;

namespace Corral.HostAgent.Logs;

/// <summary>
/// Output through the engine's log API (<c>GET /containers/{id}/logs?follow=1</c>): works with every log driver
/// that can be read back, but serves only a few MiB/s on Docker 20.10 and can resume only by time.
/// </summary>
public sealed class EngineLogSource(MultiplexedStream stream) : ILogSource
{
    public long? Position => null;

    public async ValueTask<int> ReadAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken);
        return read.EOF ? 0 : read.Count;
    }

    public void Dispose() => stream.Dispose();
}
