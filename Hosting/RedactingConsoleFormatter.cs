using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Corral.Hosting;

/// <summary>
/// The console format of every Corral process: one UTC line per entry ("12:00:00.000 info: Category[0] message"),
/// with secrets taken out (<see cref="LogRedaction"/>). Redacting here covers every category at every level: ASP.NET
/// Core's request lines, Kestrel, SignalR, Orleans and our own.
/// </summary>
public sealed class RedactingConsoleFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "corral";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }

        var line = new StringBuilder()
            .Append(DateTime.UtcNow.ToString("HH:mm:ss.fff ", CultureInfo.InvariantCulture))
            .Append(LevelName(logEntry.LogLevel)).Append(": ")
            .Append(logEntry.Category).Append('[').Append(logEntry.EventId.Id.ToString(CultureInfo.InvariantCulture)).Append("] ")
            .Append(message);
        if (logEntry.Exception is not null)
        {
            line.Append(' ').Append(logEntry.Exception);
        }

        // One line per entry, as the simple console's single-line mode writes it.
        textWriter.Write(LogRedaction.Redact(line.ToString()).ReplaceLineEndings(" "));
        textWriter.Write(Environment.NewLine);
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}
