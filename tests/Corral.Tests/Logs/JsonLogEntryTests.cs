using System.Text;
using Corral.HostAgent.Logs;
using Xunit;

namespace Corral.Tests.Logs;

public sealed class JsonLogEntryTests
{
    [Fact]
    public void Decodes_DockersEscapes_ToTheExactBytes()
    {
        // As dockerd 20.10 writes them: control bytes as \u00XX, <>& escaped for HTML, invalid UTF-8 as \ufffd.
        var line = """{"log":"a\u0000b\u001b[31mc\ufffd\u003c\u003e\u0026\"\\\t\r\n","stream":"stdout","time":"2026-01-01T00:00:00.000000001Z"}""";
        byte[] expected = [.. "a"u8, 0, .. "b"u8, 0x1B, .. "[31mc"u8, 0xEF, 0xBF, 0xBD, .. "<>&\"\\\t\r\n"u8];

        Assert.Equal(expected, Decode(line));
    }

    [Fact]
    public void Decodes_AValueWithoutEscapes_AsItIs_AndUtf8Unchanged()
    {
        Assert.Equal(Encoding.UTF8.GetBytes("naïve 日本 ✔ partial"), Decode("""{"log":"naïve 日本 ✔ partial","stream":"stderr","time":"t"}"""));
    }

    [Fact]
    public void FindsTheLog_AfterOtherProperties_AndAttributes()
    {
        Assert.Equal("x\n"u8.ToArray(), Decode("""{"stream":"stdout","attrs":{"a":["b",{"c":1}]},"log":"x\n","time":"t"}"""));
    }

    [Fact]
    public void SaysWhenTheValueMightNotFit_WritingNothing()
    {
        var output = new byte[3];
        Assert.False(JsonLogEntry.TryDecode("""{"log":"four"}"""u8, output, out var written));
        Assert.Equal(0, written);
        Assert.Equal(new byte[3], output);
    }

    [Theory]
    [InlineData("""{"stream":"stdout"}""")]
    [InlineData("""{"log":42}""")]
    [InlineData("""["log"]""")]
    [InlineData("""{"log":"unterminated""")]
    [InlineData("plain text")]
    public void RefusesWhatIsNotAnEntry(string line)
    {
        Assert.Throws<InvalidDataException>(() => JsonLogEntry.TryDecode(Encoding.UTF8.GetBytes(line), new byte[64], out _));
    }

    private static byte[] Decode(string line)
    {
        var output = new byte[line.Length];
        Assert.True(JsonLogEntry.TryDecode(Encoding.UTF8.GetBytes(line), output, out var written));
        return output[..written];
    }
}
