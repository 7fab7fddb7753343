using System.Text;
using Corral.HostAgent.Logs;
using Xunit;

namespace Corral.Tests.Logs;

public sealed class AnsiStripperTests
{
    // A realistic mixed log: colours, truecolour, cursor moves, a progress bar, an OSC 8 link, a title,
    // a DCS, charset and keypad escapes, UTF-8, invalid UTF-8, NUL and an 8-bit C1 byte.
    private static readonly byte[] Corpus = Concat(
        Utf8("\e]0;train.py\a\e[?25l\e(B\e="),
        Utf8("\e[32m2026-11-23T10:00:00Z\e[0m \e[1;34mINFO\e[0m step 123 loss=0.123\n"),
        Utf8("\e[38;2;255;128;0mwarm\e[39m \e[38;5;208m✔ naïve 日本\e[0m\r\n"),
        Utf8("\r[##    ] 33%\e[K\r[####  ] 66%\e[K\r[######] 100%\e[K\n"),
        Utf8("see \e]8;;https://example.com/run/42\e\\the run\e]8;;\e\\ for details\n"),
        Utf8("\eP1$r0m\e\\\e_apc\e\\\e[2K\e[1Gdone\e>\e[?25h\n"),
        [0x00, 0xFF, 0xC3, 0x28, 0x9B, (byte)'3', (byte)'1', (byte)'m', (byte)'\n']);

    private static readonly byte[] CorpusStripped = Concat(
        Utf8("2026-11-23T10:00:00Z INFO step 123 loss=0.123\n"),
        Utf8("warm ✔ naïve 日本\r\n"),
        Utf8("\r[##    ] 33%\r[####  ] 66%\r[######] 100%\n"),
        Utf8("see the run for details\n"),
        Utf8("done\n"),
        [0x00, 0xFF, 0xC3, 0x28, 0x9B, (byte)'3', (byte)'1', (byte)'m', (byte)'\n']);

    public static TheoryData<string, string> TextCases => new()
    {
        { "\e[31mred\e[0m", "red" },
        { "\e[1;34mINFO\e[0m", "INFO" },
        { "\e[mreset", "reset" },
        { "\e[38;5;208morange\e[39m", "orange" },
        { "\e[38;2;1;2;3mrgb\e[0m", "rgb" },
        { "\e[48:2::10:20:30mcolon form\e[49m", "colon form" },
        { "\e[2K\e[1Gdone", "done" },
        { "\e[3A\e[10;20Hmoved\e[s\e[u", "moved" },
        { "\e[?25lhidden\e[?25h", "hidden" },
        { "\e[?1049h\e[?2004hfull screen\e[?1049l", "full screen" },
        { "\e[32m✔\e[0m passed — naïve 日本", "✔ passed — naïve 日本" },
        { "\r[###   ] 50%\r[######] 100%\n", "\r[###   ] 50%\r[######] 100%\n" },
        { "\r\e[K 50%\r\e[K100%\n", "\r 50%\r100%\n" },
        { "\e]8;;http://x\e\\text\e]8;;\e\\", "text" },
        { "\e]8;id=1;http://x/a?b=c\atext\e]8;;\a", "text" },
        { "\e]0;my title\abuild ok", "build ok" },
        { "\e]2;my title\e\\build ok", "build ok" },
        { "\e]0;title with\nnewline\aafter", "after" },
        { "\e]0;t\e[1mx", "x" },
        { "\eP1$r0m\e\\after", "after" },
        { "\eP0;1;0q\"1;1;2;2#0~~-\e\\sixel gone", "sixel gone" },
        { "a\eXsos\e\\b\e^pm\e\\c\e_Gapc\e\\d", "abcd" },
        { "\e(Bplain\e)0", "plain" },
        { "\e=app\e>", "app" },
        { "a\eMb\e7c\e8d\ece", "abcde" },
        { "\e#8aligned", "aligned" },
        { "\e %Gutf8", "utf8" },
        { "\e\e[31mx", "x" },
        { "\e[31\e[0mx", "x" },
        { "\e[3\u007f1mx", "x" },
        { "\e[31\nnext line", "\nnext line" },
        { "\e\nkept", "\nkept" },
        { "\e[1;2\tx", "\tx" },
        { "a\tb\0c\u0001d\u007fe\u0008f\u000cg\u0007h", "a\tb\0c\u0001d\u007fe\u0008f\u000cg\u0007h" },
        { "no escapes at all\n", "no escapes at all\n" },
        { "", "" },
    };

    public static TheoryData<byte[], byte[]> ByteCases => new()
    {
        // Invalid UTF-8 and binary are kept byte for byte.
        { [0xFF, 0xFE, 0x80, 0xC0, 0xAF, 0xE2, 0x82], [0xFF, 0xFE, 0x80, 0xC0, 0xAF, 0xE2, 0x82] },
        { [0x1B, (byte)'[', (byte)'3', (byte)'1', (byte)'m', 0xFF, 0x1B, (byte)'[', (byte)'0', (byte)'m'], [0xFF] },
        { [0x00, 0x00, 0x1B, (byte)'[', (byte)'m', 0x00], [0x00, 0x00, 0x00] },
        // 8-bit C1 CSI (0x9B) is not interpreted: the input is treated as UTF-8.
        { [0x9B, (byte)'3', (byte)'1', (byte)'m', (byte)'x'], [0x9B, (byte)'3', (byte)'1', (byte)'m', (byte)'x'] },
        // U+00DB is C3 9B: the 9B continuation byte must not start a sequence.
        { [0xC3, 0x9B, (byte)'[', (byte)'m'], [0xC3, 0x9B, (byte)'[', (byte)'m'] },
        // A high byte inside a CSI abandons it and is kept.
        { [0x1B, (byte)'[', (byte)'3', 0xE2, 0x9C, 0x94], [0xE2, 0x9C, 0x94] },
        // A high byte inside an OSC is payload.
        { [0x1B, (byte)']', (byte)'0', (byte)';', 0xE2, 0x9C, 0x94, 0x07, (byte)'x'], [(byte)'x'] },
    };

    public static TheoryData<string, string> SecondChunks => new()
    {
        { "[31mred", "red" },
        { "]0;title\aafter", "after" },
        { "]8;;http://x\e\\text", "text" },
        { "(Bplain", "plain" },
        { "=keypad", "keypad" },
        { "\\after", "after" },
        { "\e[0mafter", "after" },
        { "\nnext", "\nnext" },
    };

    [Theory]
    [MemberData(nameof(TextCases))]
    public void StripsTextSequences(string input, string expected)
    {
        Assert.Equal(expected, Encoding.UTF8.GetString(AnsiStripper.StripAll(Utf8(input))));
    }

    [Theory]
    [MemberData(nameof(ByteCases))]
    public void KeepsNonSequenceBytesExactly(byte[] input, byte[] expected)
    {
        Assert.Equal(expected, AnsiStripper.StripAll(input));
    }

    [Fact]
    public void StripsRealisticCorpus()
    {
        Assert.Equal(CorpusStripped, AnsiStripper.StripAll(Corpus));
    }

    [Fact]
    public void SplitAtEveryPositionMatchesOneShot()
    {
        for (var split = 0; split <= Corpus.Length; split++)
        {
            var stripper = new AnsiStripper();
            var result = StripChunks(stripper, Corpus[..split], Corpus[split..]);
            Assert.True(CorpusStripped.AsSpan().SequenceEqual(result), $"split at {split}");
        }
    }

    [Fact]
    public void SplitAtEveryPairOfPositionsMatchesOneShot()
    {
        for (var first = 0; first <= Corpus.Length; first++)
        {
            for (var second = first; second <= Corpus.Length; second++)
            {
                var result = StripChunks(new AnsiStripper(), Corpus[..first], Corpus[first..second], Corpus[second..]);
                Assert.True(CorpusStripped.AsSpan().SequenceEqual(result), $"splits at {first} and {second}");
            }
        }
    }

    [Fact]
    public void ByteAtATimeMatchesOneShot()
    {
        var chunks = Corpus.Select(b => new[] { b }).ToArray();
        Assert.Equal(CorpusStripped, StripChunks(new AnsiStripper(), chunks));
    }

    [Theory]
    [MemberData(nameof(SecondChunks))]
    public void LoneTrailingEscapeIsHeldForTheNextChunk(string second, string expectedSecond)
    {
        var stripper = new AnsiStripper();
        var first = StripChunks(stripper, Utf8("abc\e"));
        Assert.Equal("abc", Encoding.UTF8.GetString(first));
        Assert.True(stripper.HasPendingSequence);

        Assert.Equal(expectedSecond, Encoding.UTF8.GetString(StripChunks(stripper, Utf8(second))));
        Assert.False(stripper.HasPendingSequence);
    }

    [Fact]
    public void SequenceSplitMidParametersIsRemoved()
    {
        var stripper = new AnsiStripper();
        Assert.Equal("a", Encoding.UTF8.GetString(StripChunks(stripper, Utf8("a\e[3"))));
        Assert.Equal("red", Encoding.UTF8.GetString(StripChunks(stripper, Utf8("1mred"))));
    }

    [Fact]
    public void MegabyteUnterminatedOscOnOneLineDoesNotLeakAndRecoversAtNewline()
    {
        var payload = new byte[1 << 20];
        Array.Fill(payload, (byte)'A');
        var input = Concat(Utf8("before\e]8;;http://"), payload, Utf8("\nafter \e[1mbold\e[0m\n"));

        Assert.Equal("before\nafter bold\n", Encoding.UTF8.GetString(AnsiStripper.StripAll(input)));
    }

    [Fact]
    public void MegabyteUnterminatedOscRecoversAtBelOrEscape()
    {
        var payload = new byte[1 << 20];
        Array.Fill(payload, (byte)'A');

        var withBel = Concat(Utf8("\e]0;"), payload, Utf8("\aafter"));
        Assert.Equal("after", Encoding.UTF8.GetString(AnsiStripper.StripAll(withBel)));

        var withSt = Concat(Utf8("\e]0;"), payload, Utf8("\e\\after"));
        Assert.Equal("after", Encoding.UTF8.GetString(AnsiStripper.StripAll(withSt)));
    }

    [Fact]
    public void MegabyteUnterminatedDcsFedInChunksWritesNothingUntilNewline()
    {
        var stripper = new AnsiStripper();
        Assert.Equal(0, stripper.Strip(Utf8("\eP"), new byte[2]));

        var chunk = new byte[4096];
        Array.Fill(chunk, (byte)'#');
        var output = new byte[chunk.Length];
        for (var n = 0; n < 256; n++)
        {
            Assert.Equal(0, stripper.Strip(chunk, output));
        }

        Assert.True(stripper.HasPendingSequence);
        Assert.Equal("\nok", Encoding.UTF8.GetString(StripChunks(stripper, Utf8("\nok"))));
        Assert.False(stripper.HasPendingSequence);
    }

    [Fact]
    public void NewlineInsideStringIsPayloadUpToTheLimitAndEndsTheLineAfterIt()
    {
        // Bytes after ESC: ']' + payload + '\n'. At exactly MaxSequenceLength the LF is still payload.
        var within = Concat(Utf8("\e]"), Filled(AnsiStripper.MaxSequenceLength - 2, (byte)'a'), Utf8("\nX"));
        Assert.Empty(AnsiStripper.StripAll(within));

        // One byte more and the LF is the first byte past the limit: it ends the abandoned string and is kept.
        var beyond = Concat(Utf8("\e]"), Filled(AnsiStripper.MaxSequenceLength - 1, (byte)'a'), Utf8("\nX"));
        Assert.Equal("\nX", Encoding.UTF8.GetString(AnsiStripper.StripAll(beyond)));
    }

    [Fact]
    public void LongTerminatedHyperlinkWithinLimitIsRemoved()
    {
        var url = "https://example.com/" + new string('p', AnsiStripper.MaxSequenceLength - 100);
        var input = Utf8($"\e]8;;{url}\e\\text\e]8;;\e\\ end");
        Assert.Equal("text end", Encoding.UTF8.GetString(AnsiStripper.StripAll(input)));
    }

    [Fact]
    public void OverlongCsiIsAbandonedToEndOfLine()
    {
        var input = Concat(Utf8("\e["), Filled(1 << 20, (byte)';'), Utf8("mrest of line\nafter"));
        Assert.Equal("\nafter", Encoding.UTF8.GetString(AnsiStripper.StripAll(input)));
    }

    [Fact]
    public void StripsInPlace()
    {
        var buffer = Corpus.ToArray();
        var written = new AnsiStripper().Strip(buffer, buffer);
        Assert.Equal(CorpusStripped, buffer[..written]);
    }

    [Fact]
    public void ShortOutputIsRejected()
    {
        var stripper = new AnsiStripper();
        Assert.Throws<ArgumentException>(() => stripper.Strip(Utf8("abc"), new byte[2]));
    }

    [Fact]
    public void ResetForgetsAPartialSequence()
    {
        var stripper = new AnsiStripper();
        Assert.Empty(StripChunks(stripper, Utf8("\e]0;never terminated")));
        Assert.True(stripper.HasPendingSequence);

        stripper.Reset();

        Assert.False(stripper.HasPendingSequence);
        Assert.Equal("text", Encoding.UTF8.GetString(StripChunks(stripper, Utf8("text"))));
    }

    [Fact]
    public void RandomInputsAreBoundedIdempotentAndChunkingIndependent()
    {
        // Alphabet biased towards bytes that drive the state machine.
        byte[] alphabet =
        [
            0x1B, 0x1B, 0x1B, (byte)'[', (byte)'[', (byte)']', (byte)'P', (byte)'X', (byte)'^', (byte)'_',
            (byte)'\\', (byte)'(', (byte)'#', (byte)' ', (byte)'?', (byte)';', (byte)'3', (byte)'1',
            (byte)'m', (byte)'H', (byte)'a', (byte)'z', (byte)'~', 0x07, 0x0A, 0x0D, 0x00, 0x7F, 0x9B, 0xC3, 0xFF,
        ];
        var random = new Random(20261123);

        for (var iteration = 0; iteration < 2000; iteration++)
        {
            var input = new byte[random.Next(0, 600)];
            for (var k = 0; k < input.Length; k++)
            {
                input[k] = random.Next(4) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
            }

            // The stripper never writes past the count it returns.
            var output = new byte[input.Length + 16];
            Array.Fill(output, (byte)0xAA);
            var written = new AnsiStripper().Strip(input, output);
            Assert.InRange(written, 0, input.Length);
            Assert.All(output[written..], b => Assert.Equal((byte)0xAA, b));

            var stripped = output[..written];
            Assert.DoesNotContain((byte)0x1B, stripped);
            Assert.Equal(stripped, AnsiStripper.StripAll(stripped));

            var chunks = new List<byte[]>();
            for (var start = 0; start < input.Length;)
            {
                var size = Math.Min(random.Next(1, 40), input.Length - start);
                chunks.Add(input[start..(start + size)]);
                start += size;
            }

            Assert.Equal(stripped, StripChunks(new AnsiStripper(), [.. chunks]));

            var inPlace = input.ToArray();
            var inPlaceWritten = new AnsiStripper().Strip(inPlace, inPlace);
            Assert.Equal(stripped, inPlace[..inPlaceWritten]);
        }
    }

    [Fact]
    public void RandomInputsWithoutEscapeAreUnchanged()
    {
        var random = new Random(42);
        for (var iteration = 0; iteration < 500; iteration++)
        {
            var input = new byte[random.Next(0, 2000)];
            random.NextBytes(input);
            for (var k = 0; k < input.Length; k++)
            {
                if (input[k] == 0x1B)
                {
                    input[k] = 0x1A;
                }
            }

            Assert.Equal(input, AnsiStripper.StripAll(input));
        }
    }

    private static byte[] StripChunks(AnsiStripper stripper, params byte[][] chunks)
    {
        var result = new List<byte>();
        foreach (var chunk in chunks)
        {
            var output = new byte[chunk.Length];
            var written = stripper.Strip(chunk, output);
            result.AddRange(output.AsSpan(0, written));
        }

        return [.. result];
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Filled(int count, byte value)
    {
        var bytes = new byte[count];
        Array.Fill(bytes, value);
        return bytes;
    }

    private static byte[] Concat(params byte[][] parts)
    {
        var result = new byte[parts.Sum(p => p.Length)];
        var offset = 0;
        foreach (var part in parts)
        {
            part.CopyTo(result, offset);
            offset += part.Length;
        }

        return result;
    }
}
