using System.Globalization;

namespace Corral.Benchmarks;

/// <summary>
/// Where figures go: one <c>name value</c> line each on standard output, so a script can read them; progress
/// notes go to standard error, prefixed with '#'.
/// </summary>
public sealed class BenchmarkReport(TextWriter figures, TextWriter notes)
{
    public void Figure(string name, double value)
    {
        figures.WriteLine($"{name} {Format(value)}");
        figures.Flush();
    }

    /// <summary>A ratio of two figures measured in this run; NaN when the baseline is zero.</summary>
    public void Ratio(string name, double value, double baseline) =>
        Figure(name, baseline == 0 ? double.NaN : value / baseline);

    public void Note(string text)
    {
        notes.WriteLine($"# {text}");
        notes.Flush();
    }

    public static string Format(double value) => Math.Abs(value) switch
    {
        >= 100 => value.ToString("0.0", CultureInfo.InvariantCulture),
        >= 1 => value.ToString("0.00", CultureInfo.InvariantCulture),
        _ => value.ToString("0.####", CultureInfo.InvariantCulture),
    };
}
