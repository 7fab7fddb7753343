using System.Text;

namespace Corral.Benchmarks.Logs;

/// <summary>
/// A realistic coloured log, generated from a fixed seed: timestamped, levelled lines from a colourising logger
/// (SGR colours, bold, 256-colour and truecolour), uncoloured stack traces and JSON lines, a build tool's
/// progress bar redrawn with CR and erase-line, OSC 8 hyperlinks, window titles and cursor hiding.
/// About a quarter of the bytes are escape sequences, as in a typical coloured console log.
/// </summary>
public static class LogCorpus
{
    private const string Esc = "\u001b";

    private static readonly string[] Loggers =
        ["http.server", "worker.pool", "db.migrations", "scheduler", "auth", "cache.redis", "train.loop", "io.uploader"];

    private static readonly string[] Words =
        ["request", "completed", "batch", "epoch", "loss", "user", "token", "retry", "connection", "opened", "closed",
         "upload", "chunk", "checkpoint", "saved", "queue", "depth", "latency", "shard", "replica", "timeout", "ok"];

    /// <summary>Generates at least <paramref name="minimumBytes"/> bytes of whole lines.</summary>
    public static byte[] Generate(int minimumBytes, int seed = 42)
    {
        var random = new Random(seed);
        var text = new StringBuilder(minimumBytes + 4096);
        var time = new DateTime(2025, 5, 1, 12, 0, 0, DateTimeKind.Utc);
        var line = 0;
        while (text.Length < minimumBytes)
        {
            time = time.AddMilliseconds(random.Next(1, 40));
            AppendLine(text, random, time, line++);
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>A block of about <paramref name="approximateBytes"/> bytes of lines, without the last newline.</summary>
    public static string Block(int approximateBytes, int seed = 7)
    {
        var text = Encoding.UTF8.GetString(Generate(approximateBytes, seed));
        return text.TrimEnd('\n');
    }

    private static void AppendLine(StringBuilder text, Random random, DateTime time, int line)
    {
        var kind = random.Next(100);
        if (kind < 3)
        {
            // A progress bar redrawn in place: CR, erase line, coloured bar, cursor hidden while drawing.
            var percent = random.Next(101);
            var filled = percent / 5;
            text.Append($"{Esc}[?25l\r{Esc}[2K{Esc}[36m[{new string('=', filled)}>{new string(' ', 20 - filled)}]{Esc}[0m {Esc}[1m{percent,3}%{Esc}[0m eta {random.Next(60)}s{Esc}[?25h\n");
            return;
        }

        if (kind < 5)
        {
            // A link to a run page (OSC 8) and a window title (OSC 0, BEL-terminated).
            var id = random.Next(100_000);
            text.Append($"{Esc}]0;job {id}\u0007See {Esc}]8;;https://ci.example.com/runs/{id}{Esc}\\run {id}{Esc}]8;;{Esc}\\ for details\n");
            return;
        }

        if (kind < 15)
        {
            text.Append($"   at Corral.Worker.{Word(random)}Handler.{Word(random)}Async(Request request) in /src/Worker/{Word(random)}.cs:line {random.Next(1, 900)}\n");
            return;
        }

        if (kind < 25)
        {
            text.Append($"{{\"ts\":\"{time:O}\",\"level\":\"info\",\"msg\":\"{Word(random)} {Word(random)}\",\"line\":{line},\"ms\":{random.Next(500)}}}\n");
            return;
        }

        var (level, colour) = random.Next(100) switch
        {
            < 70 => ("INFO ", "32"),
            < 85 => ("DEBUG", "34"),
            < 95 => ("WARN ", "33"),
            _ => ("ERROR", "1;31"),
        };
        text.Append($"{Esc}[2m{time:yyyy-MM-ddTHH:mm:ss.fff}Z{Esc}[0m {Esc}[{colour}m{level}{Esc}[0m {Esc}[36m{Loggers[random.Next(Loggers.Length)]}{Esc}[0m ");
        var words = random.Next(4, 12);
        for (var i = 0; i < words; i++)
        {
            text.Append(Word(random)).Append(' ');
        }

        switch (random.Next(4))
        {
            case 0:
                text.Append($"{Esc}[38;5;{random.Next(256)}mshard={random.Next(64)}{Esc}[39m ");
                break;
            case 1:
                text.Append($"{Esc}[38;2;{random.Next(256)};{random.Next(256)};{random.Next(256)}mlatency={random.Next(2000)}ms{Esc}[0m ");
                break;
        }

        text.Append($"id={Esc}[1m{random.Next(1_000_000):x6}{Esc}[22m\n");
    }

    private static string Word(Random random) => Words[random.Next(Words.Length)];
}
