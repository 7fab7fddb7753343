using System.CommandLine;

namespace Corral.Cli;

/// <summary>Options every command takes.</summary>
public static class GlobalOptions
{
    public static readonly Option<string> Output = new("--output", "-o")
    {
        Description = "Output format: 'text' (tables, for people) or 'json' (the API's JSON, for scripts)",
        Recursive = true,
        DefaultValueFactory = _ => "text",
    };

    static GlobalOptions()
    {
        Output.AcceptOnlyFromAmong("text", "json");
    }
}
