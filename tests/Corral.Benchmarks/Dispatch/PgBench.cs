using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Corral.Benchmarks.Dispatch;

/// <summary>
/// The database baseline: PostgreSQL's own pgbench (TPC-B-like, scale 1, 4 clients, 10 s) on a throwaway database
/// of the same server, in the same run.
/// </summary>
public static partial class PgBench
{
    private const string DefaultPath = "/usr/lib/postgresql/15/bin/pgbench";

    public static async Task<double> MeasureTpsAsync(BenchmarkReport report, CancellationToken cancellationToken)
    {
        await using var database = await BenchmarkDatabase.CreateAsync("pgbench", withSchema: false);
        var connection = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        report.Note("pgbench: -i -s 1, then -T 10 -c 4 -j 2");
        await RunAsync(connection, ["-i", "-s", "1", "-q"], cancellationToken);
        var output = await RunAsync(connection, ["-T", "10", "-c", "4", "-j", "2"], cancellationToken);
        var tps = TpsLine().Match(output);
        if (!tps.Success)
        {
            throw new InvalidOperationException("pgbench printed no tps line:\n" + output);
        }

        return double.Parse(tps.Groups["tps"].Value, CultureInfo.InvariantCulture);
    }

    private static async Task<string> RunAsync(NpgsqlConnectionStringBuilder connection, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("PGBENCH") ?? DefaultPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "-h", connection.Host!, "-p", connection.Port.ToString(CultureInfo.InvariantCulture), "-U", connection.Username! })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.ArgumentList.Add(connection.Database!);
        start.Environment["PGPASSWORD"] = connection.Password;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pgbench {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}");
        }

        return await output + await error;
    }

    [GeneratedRegex(@"tps = (?<tps>[0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsLine();
}
