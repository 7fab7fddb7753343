using System.Text.Encodings.Web;
using System.Text.Json;
using Spectre.Console;

namespace Corral.Cli;

/// <summary>
/// Everything a command prints: tables and words for people, or the API's JSON for scripts (--output json).
/// Colour comes from Spectre's detection: only on a terminal, never with NO_COLOR.
/// </summary>
public sealed class Output(bool json)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly IAnsiConsole _console = CreateConsole();

    public bool Json { get; } = json;

    public void WriteJson(JsonElement value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Indented));

    /// <summary>One JSON document per line, for streams of events (attach, logs -f).</summary>
    public void WriteJsonLine<T>(T value)
    {
        Console.Out.WriteLine(JsonSerializer.Serialize(value, Compact));
        Console.Out.Flush();
    }

    public void Line(string text) => Console.Out.WriteLine(text);

    /// <summary>A job's output as it is, or as <c>{ jobId, text }</c> lines in JSON mode.</summary>
    public void Log(string jobId, string text)
    {
        if (Json)
        {
            WriteJsonLine(new { jobId, text });
            return;
        }

        Console.Out.Write(text);
        Console.Out.Flush();
    }

    /// <summary>Progress words (a job's status while attached) on stderr, so stdout holds only the job's output.</summary>
    public static void Note(string text) => Console.Error.WriteLine(text);

    public static void Error(string text) => Console.Error.WriteLine("error: " + text);

    public void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var table = new Table().Border(TableBorder.None);
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(new Markup("[bold]" + Markup.Escape(header) + "[/]")).NoWrap());
        }

        foreach (var row in rows)
        {
            table.AddRow(row.Select(cell => (Spectre.Console.Rendering.IRenderable)new Text(cell)).ToArray());
        }

        _console.Write(table);
    }

    /// <summary>Name and value pairs (show, whoami).</summary>
    public void Fields(IEnumerable<(string Name, string Value)> fields)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        foreach (var (name, value) in fields)
        {
            grid.AddRow(new Markup("[bold]" + Markup.Escape(name) + "[/]"), new Text(value));
        }

        _console.Write(grid);
    }

    private static IAnsiConsole CreateConsole()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (Console.IsOutputRedirected)
        {
            // A pipe has no width: keep rows whole for grep and awk rather than wrapping them at 80 columns.
            console.Profile.Width = 512;
        }

        return console;
    }
}
