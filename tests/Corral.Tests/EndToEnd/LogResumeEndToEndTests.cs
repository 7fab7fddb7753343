using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>A host agent killed while its job writes, restarted later: the stored log has every line exactly once.</summary>
[Collection(LogSystemCollection.Name)]
public sealed class LogResumeEndToEndTests(LogSystem system)
{
    [Fact]
    public async Task AHostAgentKilledMidLog_AndRestarted_StoresEveryLineExactlyOnce_InOrder()
    {
        const int Lines = 120_000;
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        // Numbered lines for about 15 s, in bursts, so lines are written before, during and after the agent's absence.
        var id = await Jobs.SubmitAsync(alice, Jobs.Shell(
            $"awk 'BEGIN {{ for (i = 0; i < {Lines}; i++) {{ printf \"line %06d \\033[32mok\\033[0m\\n\", i; if (i % 4000 == 3999) {{ fflush(); system(\"sleep 0.5\") }} }} }}'",
            service: "resume", cpu: 1));
        await system.WaitForJobAsync(alice, id, j => j["logBytesTotal"]?.GetValue<long>() > 0, TimeSpan.FromSeconds(60));

        system.KillHostAgent();
        await Task.Delay(TimeSpan.FromSeconds(3));
        await system.RestartHostAgentHardAsync();

        var done = await system.WaitForJobAsync(alice, id, j => j["finishedAt"] is not null, TimeSpan.FromMinutes(2));
        Assert.Equal("succeeded", Jobs.Status(done));
        var stored = (await alice.GetStringAsync($"/api/jobs/{id}/logs")).Split('\n');
        Assert.Equal(string.Empty, stored[^1]);
        var expected = Enumerable.Range(0, Lines).Select(i => $"line {i:D6} ok").ToArray();
        var firstWrong = Enumerable.Range(0, Math.Min(expected.Length, stored.Length - 1)).FirstOrDefault(i => stored[i] != expected[i], -1);
        Assert.True(
            stored.Length - 1 == Lines && firstWrong < 0,
            $"stored {stored.Length - 1} lines, expected {Lines}; first difference at line {firstWrong}: '{(firstWrong >= 0 ? stored[firstWrong] : string.Empty)}'");
        Assert.Contains("resuming its output file at byte", system.HostAgent.Output, StringComparison.Ordinal);
    }
}
