using System.Text.Json;
using System.Text.Json.Serialization;
using Corral.Resources;

namespace Corral.Gateway.Api.Requests;

/// <summary>Memory sizes as bytes (a JSON number) or text with a unit ("512Mi", "40GB"), read with <see cref="ByteSize"/>.</summary>
public sealed class ByteSizeJsonConverter : JsonConverter<long?>
{
    public override long? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var bytes = 0L;
        var parsed = reader.TokenType switch
        {
            JsonTokenType.Number => reader.TryGetInt64(out bytes),
            JsonTokenType.String => ByteSize.TryParse(reader.GetString(), out bytes),
            _ => false,
        };
        return parsed
            ? bytes
            : throw new FieldJsonException(
                $"'{Raw(ref reader)}' is not a size: use bytes or a Ki/Mi/Gi/Ti or K/M/G/T suffix, such as \"512Mi\"");
    }

    public override void Write(Utf8JsonWriter writer, long? value, JsonSerializerOptions options)
    {
        if (value is { } bytes)
        {
            writer.WriteNumberValue(bytes);
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    private static string Raw(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString() ?? string.Empty,
        JsonTokenType.StartObject => "{...}",
        JsonTokenType.StartArray => "[...]",
        _ => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
    };
}
