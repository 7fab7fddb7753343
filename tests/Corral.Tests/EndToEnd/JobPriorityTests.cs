using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>
/// What a user's programs get from the scheduler, read from inside their container as a user would: the ordinary
/// scheduling policy (SCHED_OTHER, 0 in /proc/self/sched) at nice 0 (field 19 of /proc/self/stat), in a batch job
/// and in an SSH session. Programs in a container cannot raise either (no CAP_SYS_NICE), so they run at whatever
/// the platform starts them with.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class JobPriorityTests(CorralSystem system)
{
    /// <summary>Prints "policy N" and "nice N" of the commands it runs (sed and cut, children of the job's shell).</summary>
    private const string ShowPriority = """
        echo "policy $(sed -n 's/^policy *: *//p' /proc/self/sched)"
        echo "nice $(cut -d ' ' -f 19 /proc/self/stat)"
        """;

    [Fact]
    public async Task ABatchJob_RunsUnderTheNormalPolicy_AtNice0()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, Jobs.Shell(ShowPriority));

        var done = await CorralSystem.Terminal(system, alice, id);

        Assert.Equal("succeeded", Jobs.Status(done));
        Assert.Equal("policy 0\nnice 0\n", await alice.GetStringAsync($"/api/jobs/{id}/logs"));
    }

    [Fact]
    public async Task AnSshSession_RunsUnderTheNormalPolicy_AtNice0()
    {
        using var key = await SshClient.CreateAsync();
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, SshSessionTests.Session(key, cpu: 0.25, memory: "64Mi", pids: 64));
        var job = await system.WaitForJobAsync(alice, id, j => Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));

        var inside = await key.RunAsync(job, ShowPriority);

        Assert.True(inside.ExitCode == 0, inside.Error);
        Assert.Equal(["policy 0", "nice 0"], SshSessionTests.Lines(inside.Output));
        await alice.PostAsync($"/api/jobs/{id}/cancel", null);
        Assert.Equal("cancelled", Jobs.Status(await CorralSystem.Terminal(system, alice, id)));
    }
}
