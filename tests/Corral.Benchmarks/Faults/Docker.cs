using System.Diagnostics;

namespace Corral.Benchmarks.Faults;

/// <summary>The docker command line, for the little the suite does to the engine itself (cleanup).</summary>
public static class Docker
{
    public static async Task RemoveContainersAsync(string filter)
    {
        var ids = (await RunAsync("ps", "-aq", "--filter", filter)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (ids.Length > 0)
        {
            await RunAsync(["rm", "-f", .. ids]);
        }
    }

    private static async Task<string> RunAsync(params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("docker", arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }
}
