namespace Corral.Benchmarks;

/// <summary>What the suites need from the machine; deploy/bench.sh sets it up.</summary>
public static class BenchmarkEnvironment
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>A PostgreSQL role that may create databases (the test server of deploy/test.sh).</summary>
    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("CORRAL_TEST_POSTGRES")
        ?? throw new InvalidOperationException(
            "CORRAL_TEST_POSTGRES is not set: run the benchmarks with deploy/bench.sh, which starts PostgreSQL and sets it.");

    public static Uri DockerEndpoint =>
        new(Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock");

    /// <summary>A port for a server the suite starts (see <see cref="Corral.Tests.EndToEnd.TestPorts"/>).</summary>
    public static int FreePort() => Corral.Tests.EndToEnd.TestPorts.Next();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find Orleans.sln above " + AppContext.BaseDirectory);
    }
}
