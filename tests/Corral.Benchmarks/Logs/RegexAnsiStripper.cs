using System.Text;
using System.Text.RegularExpressions;

namespace Corral.Benchmarks.Logs;

/// <summary>
/// The baseline: what a reasonable regular-expression stripper does with the same reads. Bytes are mapped 1:1 to
/// chars (Latin-1) so the output is byte-exact, every match is cut out, the rest is copied back. It is stateless,
/// so a sequence split across two reads leaks (the streaming stripper handles that); that only makes its job easier.
/// </summary>
public sealed partial class RegexAnsiStripper
{
    private readonly char[] _chars;

    public RegexAnsiStripper(int maxReadBytes) => _chars = new char[maxReadBytes];

    /// <summary>CSI; OSC, DCS, SOS, PM and APC strings ended by BEL or ST; other two-byte and intermediate escapes.</summary>
    public static Regex Pattern { get; } = new(
        @"\x1B(?:\[[\x30-\x3F]*[\x20-\x2F]*[\x40-\x7E]|[\]PX^_][^\x07\x1B]*(?:\x07|\x1B\\)|[\x20-\x2F]*[\x30-\x7E])",
        RegexOptions.Compiled | RegexOptions.CultureInvariant);

    public int Strip(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var chars = _chars.AsSpan(0, Encoding.Latin1.GetChars(input, _chars));
        var written = 0;
        var at = 0;
        foreach (var match in Pattern.EnumerateMatches(chars))
        {
            written += Encoding.Latin1.GetBytes(chars[at..match.Index], output[written..]);
            at = match.Index + match.Length;
        }

        written += Encoding.Latin1.GetBytes(chars[at..], output[written..]);
        return written;
    }
}
