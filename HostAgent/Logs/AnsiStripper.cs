namespace Corral.HostAgent.Logs;

/// <summary>
/// Streaming stripper of ANSI / ECMA-48 escape sequences from raw container output.
/// One instance per job stream (stdout and stderr each get their own): the parser state
/// carries over between <see cref="Strip"/> calls, so a sequence split across two reads
/// (<c>ESC [ 3</c> then <c>1 m</c>) is removed completely and nothing of it reaches the output.
/// </summary>
/// <remarks>
/// <para>
/// The stripper never buffers: bytes inside a sequence are simply dropped as they are read,
/// so memory is O(1) whatever the input, and feeding a stream in any chunking produces exactly
/// the same bytes as stripping it in one piece. The returned count is the number of stripped
/// bytes written, which is what gets stored and counted against the log quota.
/// </para>
/// <para>Removed (the introducing ESC is 0x1B; "bytes after ESC" counts the introducer too):</para>
/// <list type="bullet">
/// <item>CSI: <c>ESC [</c>, parameter/intermediate bytes 0x20–0x3F, final byte 0x40–0x7E
/// (colours, 256/truecolour, cursor moves, erase, private modes such as <c>ESC [ ? 25 l</c>).</item>
/// <item>Control strings: OSC <c>ESC ]</c> (titles, OSC 8 hyperlinks), DCS <c>ESC P</c>,
/// SOS <c>ESC X</c>, PM <c>ESC ^</c>, APC <c>ESC _</c>. Each ends at BEL (0x07) or at ST
/// (<c>ESC \</c>). xterm honours BEL only for OSC; it is accepted for every string type here
/// because that can only end a swallow earlier, never leak payload. Any other byte, including
/// LF and other C0 controls, is part of the payload and dropped. An ESC inside a string ends the
/// string and starts a new sequence (the VT parser's rule); <c>ESC \</c> is then itself removed.</item>
/// <item>Other escapes: ESC, optional intermediates 0x20–0x2F, then a final byte 0x30–0x7E
/// (<c>ESC ( B</c>, <c>ESC =</c>, <c>ESC &gt;</c>, <c>ESC M</c>, <c>ESC 7</c>, <c>ESC # 8</c>).</item>
/// <item>A lone ESC at the end of a chunk is held as pending state; at the end of the stream an
/// incomplete sequence is simply dropped (there is nothing buffered to flush).</item>
/// </list>
/// <para>
/// Malformed sequences: DEL (0x7F) inside an escape or CSI is ignored; ESC restarts a new sequence
/// (the unfinished one is dropped); any other C0 control or any byte 0x80–0xFF inside an escape or
/// CSI abandons the sequence and that byte is kept, so a truncated <c>ESC [ 3 1</c> followed by a
/// newline does not eat the start of the next line.
/// </para>
/// <para>
/// Kept unchanged: every other byte — LF, CR (progress bars), TAB, NUL, other C0 controls, invalid
/// UTF-8 and arbitrary binary. Output is stored and counted byte for byte; decoding (and replacing
/// invalid UTF-8) is the storage layer's concern, so nothing is rewritten here.
/// </para>
/// <para>
/// 8-bit C1 controls (0x80–0x9F, e.g. CSI 0x9B) are NOT interpreted: the input is treated as UTF-8,
/// where those bytes are continuation bytes of ordinary characters (U+00DB is C3 9B), and guessing
/// would corrupt text. Containers that emit 8-bit C1 sequences keep them in the log.
/// </para>
/// <para>
/// Bound: a sequence longer than <see cref="MaxSequenceLength"/> bytes after its ESC (an
/// unterminated OSC, or hostile output) is abandoned: what was read of it is discarded and the
/// stripper keeps discarding up to the end of that line — the next LF, which is kept — or up to a
/// BEL (dropped) or an ESC (which starts a new sequence), then returns to normal text. So a
/// stray <c>ESC ]</c> costs at most 4 KiB plus the rest of its line, and a megabyte of unterminated
/// payload on a single line never reaches the log.
/// </para>
/// <para>
/// Speed: outside sequences, runs without ESC are found with a vectorised <c>IndexOf</c> and copied
/// in bulk; control-string payloads are skipped with a vectorised <c>IndexOfAny</c>. Only escape and
/// CSI bytes go through the per-byte state machine. Nothing is allocated by <see cref="Strip"/>.
/// </para>
/// <para>Not thread-safe; use one instance per stream.</para>
/// </remarks>
public sealed class AnsiStripper
{
    /// <summary>
    /// Longest sequence, counted in bytes after its ESC (terminator included), that is parsed as a
    /// sequence; byte <c>MaxSequenceLength + 1</c> is handled in the abandoned state instead.
    /// </summary>
    public const int MaxSequenceLength = 4096;

    private const byte Esc = 0x1B;
    private const byte Bel = 0x07;
    private const byte Lf = 0x0A;
    private const byte Del = 0x7F;

    private State _state;

    // Bytes consumed since the ESC that started the current sequence (the ESC itself not counted).
    private int _length;

    private enum State : byte
    {
        Ground,
        Escape,
        EscapeIntermediate,
        Csi,
        ControlString,
        Abandoned,
    }

    /// <summary>True while the stream has stopped inside a sequence (for example on a lone trailing ESC).</summary>
    public bool HasPendingSequence => _state != State.Ground;

    /// <summary>
    /// Strips <paramref name="input"/> into <paramref name="output"/> and returns the number of bytes written.
    /// <paramref name="output"/> must be at least as long as <paramref name="input"/>; it may be the same
    /// memory as <paramref name="input"/> (stripping in place), since the write position never passes the
    /// read position.
    /// </summary>
    public int Strip(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (output.Length < input.Length)
        {
            throw new ArgumentException(
                $"Output ({output.Length} bytes) must be at least as long as input ({input.Length} bytes).",
                nameof(output));
        }

        var state = _state;
        var length = _length;
        var written = 0;
        var i = 0;

        while (i < input.Length)
        {
            if (state == State.Ground)
            {
                var rest = input[i..];
                var esc = rest.IndexOf(Esc);
                if (esc < 0)
                {
                    rest.CopyTo(output[written..]);
                    written += rest.Length;
                    break;
                }

                if (esc > 0)
                {
                    rest[..esc].CopyTo(output[written..]);
                    written += esc;
                }

                i += esc + 1;
                state = State.Escape;
                length = 0;

                // Hot path: a complete CSI (colours, cursor moves) in this chunk is skipped inline.
                if (i < input.Length && input[i] == (byte)'[')
                {
                    var j = i + 1;
                    var limit = input.Length - i > MaxSequenceLength ? i + MaxSequenceLength : input.Length;
                    while (j < limit && (uint)(input[j] - 0x20) <= 0x3F - 0x20)
                    {
                        j++;
                    }

                    if (j < limit && (uint)(input[j] - 0x40) <= 0x7E - 0x40)
                    {
                        i = j + 1;
                        state = State.Ground;
                    }
                }

                continue;
            }

            if (state == State.ControlString)
            {
                if (length >= MaxSequenceLength)
                {
                    state = State.Abandoned;
                    continue;
                }

                var rest = input[i..];
                var budget = MaxSequenceLength - length;
                var window = rest.Length > budget ? rest[..budget] : rest;
                var end = window.IndexOfAny(Bel, Esc);
                if (end < 0)
                {
                    i += window.Length;
                    length += window.Length;
                    continue;
                }

                i += end + 1;
                if (window[end] == Bel)
                {
                    state = State.Ground;
                }
                else
                {
                    state = State.Escape;
                    length = 0;
                }

                continue;
            }

            if (state == State.Abandoned)
            {
                var rest = input[i..];
                var end = rest.IndexOfAny(Lf, Bel, Esc);
                if (end < 0)
                {
                    break;
                }

                var stop = rest[end];
                if (stop == Lf)
                {
                    // The LF itself is ordinary text: re-read it in the ground state.
                    i += end;
                    state = State.Ground;
                }
                else
                {
                    i += end + 1;
                    state = stop == Bel ? State.Ground : State.Escape;
                    length = 0;
                }

                continue;
            }

            // Escape, EscapeIntermediate or Csi: one byte at a time (these are short).
            var b = input[i];
            if (b == Esc)
            {
                i++;
                state = State.Escape;
                length = 0;
                continue;
            }

            if (b < 0x20 || b >= 0x80)
            {
                // Malformed: abandon the sequence and keep the byte (re-read in the ground state).
                state = State.Ground;
                continue;
            }

            if (++length > MaxSequenceLength)
            {
                state = State.Abandoned;
                continue;
            }

            i++;
            if (b != Del)
            {
                state = Next(state, b);
            }
        }

        _state = state;
        _length = length;
        return written;
    }

    /// <summary>
    /// The parser state as one number, stored with each log chunk so that a restarted agent resumes stripping
    /// exactly where the chunk ended, even inside a sequence split across two log entries.
    /// </summary>
    public int Checkpoint => ((int)_state << 16) | _length;

    /// <summary>A stripper in the state <paramref name="checkpoint"/> (from <see cref="Checkpoint"/>) describes.</summary>
    public static AnsiStripper FromCheckpoint(int checkpoint)
    {
        var state = (State)(checkpoint >> 16);
        var length = checkpoint & 0xFFFF;
        if (!Enum.IsDefined(state) || length > MaxSequenceLength + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(checkpoint), checkpoint, "not a stripper checkpoint");
        }

        return new AnsiStripper { _state = state, _length = length };
    }

    /// <summary>Returns to the ground state, forgetting any partial sequence.</summary>
    public void Reset()
    {
        _state = State.Ground;
        _length = 0;
    }

    /// <summary>Strips a complete input in one call (a fresh stripper; an unfinished trailing sequence is dropped).</summary>
    public static byte[] StripAll(ReadOnlySpan<byte> input)
    {
        var buffer = new byte[input.Length];
        var written = new AnsiStripper().Strip(input, buffer);
        return written == buffer.Length ? buffer : buffer.AsSpan(0, written).ToArray();
    }

    // Transition for a byte 0x20–0x7E (not DEL) in the Escape, EscapeIntermediate or Csi state.
    private static State Next(State state, byte b)
    {
        switch (state)
        {
            case State.Escape:
                return b switch
                {
                    (byte)'[' => State.Csi,
                    (byte)']' or (byte)'P' or (byte)'X' or (byte)'^' or (byte)'_' => State.ControlString,
                    < 0x30 => State.EscapeIntermediate,
                    _ => State.Ground,
                };
            case State.EscapeIntermediate:
                return b < 0x30 ? State.EscapeIntermediate : State.Ground;
            default:
                return b < 0x40 ? State.Csi : State.Ground;
        }
    }
}
