using Corral.HostAgent.Logs;

namespace Corral.Benchmarks.Logs;

/// <summary>
/// Issue 5's figures: the ANSI stripper against a regular-expression stripper and a plain copy of the same bytes,
/// one core, 64 KiB reads; then the whole log path from a real container to rows in PostgreSQL.
/// </summary>
public sealed class LogsSuite : IBenchmarkSuite
{
    /// <summary>The size of one read handed to the strippers.</summary>
    public const int ReadBytes = 64 * 1024;

    private const int CorpusBytes = 32 * 1024 * 1024;

    public string Name => "logs";

    public string Description => "ANSI stripper vs regex vs memcpy (MB/s, one core); container -> LogPump -> PostgreSQL (MiB/s)";

    public async Task RunAsync(BenchmarkReport report, CancellationToken cancellationToken)
    {
        // Published anchors, measured elsewhere, printed for context only.
        report.Figure("anchor.go_stripper_mb_per_s", 1163);
        report.Figure("anchor.go_regexp_mb_per_s", 55);
        report.Figure("anchor.vector_mib_per_s", 76.7);
        report.Figure("anchor.fluentbit_mib_per_s", 35);

        var corpus = LogCorpus.Generate(CorpusBytes);
        var stripped = AnsiStripper.StripAll(corpus);
        report.Note($"corpus: {corpus.Length} bytes, {stripped.Length} after stripping ({100.0 * (corpus.Length - stripped.Length) / corpus.Length:0.0}% escapes)");
        CheckRegexAgrees(corpus, stripped);

        var output = new byte[ReadBytes];
        var regex = new RegexAnsiStripper(ReadBytes);
        long sink = 0;
        var memcpy = MegabytesPerSecond(corpus.Length, () => sink += Copy(corpus, output));
        var strip = MegabytesPerSecond(corpus.Length, () => sink += StripInReads(corpus, output));
        var viaRegex = MegabytesPerSecond(corpus.Length, () => sink += RegexInReads(regex, corpus, output), runs: 5);
        GC.KeepAlive(sink);

        report.Figure("strip.mb_per_s", strip);
        report.Figure("strip.regex_mb_per_s", viaRegex);
        report.Figure("strip.memcpy_mb_per_s", memcpy);
        report.Ratio("strip.vs_regex_ratio", strip, viaRegex);
        report.Ratio("strip.vs_memcpy_ratio", strip, memcpy);

        await new LogPipelineBenchmark(report).RunAsync(cancellationToken);
    }

    private static double MegabytesPerSecond(int bytes, Action pass, int runs = 9) =>
        bytes / 1e6 / Measure.MedianSeconds(pass, warmups: 3, runs);

    private static long StripInReads(byte[] corpus, byte[] output)
    {
        var stripper = new AnsiStripper();
        long written = 0;
        for (var at = 0; at < corpus.Length; at += ReadBytes)
        {
            written += stripper.Strip(corpus.AsSpan(at, Math.Min(ReadBytes, corpus.Length - at)), output);
        }

        return written;
    }

    private static long RegexInReads(RegexAnsiStripper regex, byte[] corpus, byte[] output)
    {
        long written = 0;
        for (var at = 0; at < corpus.Length; at += ReadBytes)
        {
            written += regex.Strip(corpus.AsSpan(at, Math.Min(ReadBytes, corpus.Length - at)), output);
        }

        return written;
    }

    private static long Copy(byte[] corpus, byte[] output)
    {
        long written = 0;
        for (var at = 0; at < corpus.Length; at += ReadBytes)
        {
            var length = Math.Min(ReadBytes, corpus.Length - at);
            corpus.AsSpan(at, length).CopyTo(output);
            written += length;
        }

        return written;
    }

    /// <summary>The baseline must remove exactly what the stripper removes, or the comparison means nothing.</summary>
    private static void CheckRegexAgrees(byte[] corpus, byte[] stripped)
    {
        var whole = new byte[corpus.Length];
        var length = new RegexAnsiStripper(corpus.Length).Strip(corpus, whole);
        if (!whole.AsSpan(0, length).SequenceEqual(stripped))
        {
            throw new InvalidOperationException(
                $"The regex baseline strips the corpus to {length} bytes, the stripper to {stripped.Length}: they must agree.");
        }
    }
}
