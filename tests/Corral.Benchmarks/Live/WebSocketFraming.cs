using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Corral.Benchmarks.Live;

/// <summary>WebSocket opcodes (RFC 6455, 5.2) a hub client meets.</summary>
internal enum WebSocketOpcode : byte
{
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}

/// <summary>The header of one frame the server sent: where its payload lies in the bytes read so far.</summary>
internal readonly record struct ServerFrame(WebSocketOpcode Opcode, bool Final, int HeaderLength, int PayloadLength)
{
    public int Length => HeaderLength + PayloadLength;
}

/// <summary>
/// The few parts of WebSocket framing a receiving client needs (RFC 6455, 5.2): reading the server's frames, which
/// are never masked, and writing its own, which always are.
/// </summary>
internal static class WebSocketFraming
{
    private const byte FinalBit = 0x80;
    private const byte MaskBit = 0x80;

    /// <summary>Reads the header of the frame at the start of <paramref name="bytes"/>; false until all of the frame is there.</summary>
    public static bool TryReadServerFrame(ReadOnlySpan<byte> bytes, out ServerFrame frame)
    {
        frame = default;
        if (bytes.Length < 2)
        {
            return false;
        }

        if ((bytes[1] & MaskBit) != 0)
        {
            throw new InvalidDataException("the server sent a masked frame");
        }

        var (header, length) = (bytes[1] & 0x7F) switch
        {
            126 when bytes.Length >= 4 => (4, (long)BinaryPrimitives.ReadUInt16BigEndian(bytes[2..])),
            127 when bytes.Length >= 10 => (10, (long)BinaryPrimitives.ReadUInt64BigEndian(bytes[2..])),
            126 or 127 => (0, 0L),
            var small => (2, small),
        };
        if (header == 0)
        {
            return false;
        }

        if (length > int.MaxValue / 2)
        {
            throw new InvalidDataException($"a frame of {length} bytes");
        }

        frame = new ServerFrame((WebSocketOpcode)(bytes[0] & 0x0F), (bytes[0] & FinalBit) != 0, header, (int)length);
        return bytes.Length >= frame.Length;
    }

    /// <summary>Writes one final client frame, masked with a fresh random key as a client must.</summary>
    public static byte[] ClientFrame(WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        var lengthBytes = payload.Length switch { < 126 => 0, <= ushort.MaxValue => 2, _ => 8 };
        var frame = new byte[2 + lengthBytes + 4 + payload.Length];
        frame[0] = (byte)(FinalBit | (byte)opcode);
        switch (lengthBytes)
        {
            case 0:
                frame[1] = (byte)(MaskBit | payload.Length);
                break;
            case 2:
                frame[1] = MaskBit | 126;
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
                break;
            default:
                frame[1] = MaskBit | 127;
                BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
                break;
        }

        var key = frame.AsSpan(2 + lengthBytes, 4);
        RandomNumberGenerator.Fill(key);
        var masked = frame.AsSpan(2 + lengthBytes + 4);
        for (var i = 0; i < payload.Length; i++)
        {
            masked[i] = (byte)(payload[i] ^ key[i % 4]);
        }

        return frame;
    }
}
