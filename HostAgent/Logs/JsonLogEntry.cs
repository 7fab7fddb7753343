using System.Text.Json;

namespace Corral.HostAgent.Logs;

/// <summary>
/// One line of Docker's json-file log, <c>{"log":"...","stream":"stdout","time":"..."}</c>, reduced to the bytes
/// the container wrote: the <c>log</c> string with its JSON escapes decoded (<c>\u0000</c> is a NUL byte again).
/// </summary>
/// <remarks>
/// What the file holds is already the engine's version of the output: dockerd replaces every byte that is not
/// valid UTF-8 with U+FFFD (<c>\ufffd</c>, 3 bytes) when it writes the line, and splits a line longer than 16 KiB
/// into entries of 16 KiB whose <c>log</c> has no trailing newline. Concatenating the decoded entries gives the
/// output back exactly, up to that replacement, which no reader of a json-file log can undo.
/// </remarks>
public static class JsonLogEntry
{
    /// <summary>
    /// Decodes the <c>log</c> value of <paramref name="line"/> (one JSON object, no newline) into
    /// <paramref name="output"/>; false, with nothing written, when it might not fit (the decoded value is never
    /// longer than its escaped form, which is what is checked).
    /// </summary>
    /// <exception cref="InvalidDataException">The line is not a json-file log entry.</exception>
    public static bool TryDecode(ReadOnlySpan<byte> line, Span<byte> output, out int written)
    {
        written = 0;
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw NotAnEntry(line);
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isLog = reader.ValueTextEquals("log"u8);
                reader.Read();
                if (!isLog)
                {
                    reader.Skip();
                    continue;
                }

                if (reader.TokenType != JsonTokenType.String)
                {
                    throw NotAnEntry(line);
                }

                var value = reader.ValueSpan;
                if (value.Length > output.Length)
                {
                    return false;
                }

                written = reader.ValueIsEscaped ? reader.CopyString(output) : Copy(value, output);
                return true;
            }
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"not a json-file log entry: {error.Message}", error);
        }

        throw NotAnEntry(line);
    }

    private static int Copy(ReadOnlySpan<byte> value, Span<byte> output)
    {
        value.CopyTo(output);
        return value.Length;
    }

    private static InvalidDataException NotAnEntry(ReadOnlySpan<byte> line) =>
        new($"not a json-file log entry ({line.Length} bytes, no \"log\" string)");
}
