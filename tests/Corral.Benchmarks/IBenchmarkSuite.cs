namespace Corral.Benchmarks;

/// <summary>One named group of measurements, run by <c>dotnet run -c Release --project tests/Corral.Benchmarks -- NAME</c>.</summary>
public interface IBenchmarkSuite
{
    /// <summary>The name given on the command line.</summary>
    string Name { get; }

    /// <summary>One line for the list printed when the name is unknown.</summary>
    string Description { get; }

    /// <summary>Measures, printing one figure per line through <paramref name="report"/>.</summary>
    Task RunAsync(BenchmarkReport report, CancellationToken cancellationToken);
}
