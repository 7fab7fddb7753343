namespace Corral.Benchmarks;

public static class Program
{
    /// <summary>Every suite; adding one is a class implementing <see cref="IBenchmarkSuite"/> and a line here.</summary>
    private static readonly IBenchmarkSuite[] Suites =
    [
        new Logs.LogsSuite(),
        new Dispatch.DispatchSuite(),
        new Egress.EgressBenchmarkSuite(),
        new Live.LiveSuite(),
        new Lists.ListsSuite(),
        new Files.FilesSuite(),
        new Queue.QueueSuite(),
        new Faults.FaultsSuite(),
    ];

    public static async Task<int> Main(string[] args)
    {
        var suite = args.Length == 1
            ? Suites.FirstOrDefault(s => string.Equals(s.Name, args[0], StringComparison.OrdinalIgnoreCase))
            : null;
        if (suite is null)
        {
            Console.Error.WriteLine(args.Length == 1 ? $"unknown suite '{args[0]}'" : "usage: Corral.Benchmarks <suite>");
            Console.Error.WriteLine("suites:");
            foreach (var known in Suites)
            {
                Console.Error.WriteLine($"  {known.Name,-10} {known.Description}");
            }

            return 2;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        await suite.RunAsync(new BenchmarkReport(Console.Out, Console.Error), cancel.Token);
        return 0;
    }
}
