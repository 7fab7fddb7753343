using System.Text.Json;

namespace Corral.Tests.Logs;

/// <summary>Writes entries the way dockerd's json-file driver does: one JSON object per line, output split at 16 KiB.</summary>
public sealed class DockerJsonLog(string path) : IDisposable
{
    private const int EntryBytes = 16 * 1024;

    private readonly FileStream _file = new(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);

    public string Path => path;

    public long Length => _file.Length;

    /// <summary>The lines <paramref name="output"/> becomes: one entry per line, a long line in 16 KiB pieces.</summary>
    public static IEnumerable<byte[]> Entries(ReadOnlyMemory<byte> output)
    {
        while (!output.IsEmpty)
        {
            var newline = output.Span[..Math.Min(EntryBytes, output.Length)].IndexOf((byte)'\n');
            var length = newline >= 0 ? newline + 1 : Math.Min(EntryBytes, output.Length);
            yield return Entry(output.Span[..length]);
            output = output[length..];
        }
    }

    public static byte[] Entry(ReadOnlySpan<byte> log)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("log"u8, log);
            writer.WriteString("stream"u8, "stdout"u8);
            writer.WriteString("time"u8, "2026-01-01T00:00:00.000000001Z"u8);
            writer.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>Appends raw bytes (whole entries, or part of one) and makes them visible to readers.</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        _file.Write(bytes);
        _file.Flush();
    }

    public void Dispose() => _file.Dispose();
}
