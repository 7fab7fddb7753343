using Corral.Benchmarks.Egress;

// dotnet run -c Release --project tests/Corral.Benchmarks.Egress
await EgressSuite.RunAsync(Console.Out);
