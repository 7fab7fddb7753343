using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>A job's CPU time, measured by its host agent from the container's cgroup (issue 18).</summary>
[Collection(SystemCollection.Name)]
public sealed class CpuUsageTests(CorralSystem system)
{
    [Fact]
    public async Task Job_BurningHalfACpuForFourSeconds_ReportsAtMostTwoCpuSeconds()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        // `yes` spins one core; the job's cap of half a CPU lets it use at most 2 s of CPU time in 4 s. It sleeps after,
        // so the last sample before the exit (and the cgroup's removal) sees the whole burn.
        var id = await Jobs.SubmitAsync(alice, Jobs.Shell("yes > /dev/null & sleep 4; kill $!; sleep 2", service: "cpuburn", cpu: 0.5));

        var done = await CorralSystem.Terminal(system, alice, id);

        Assert.Equal("succeeded", Jobs.Status(done));
        var cpuSeconds = done["cpuSeconds"]!.GetValue<double>();
        // At least a quarter of what it may use (the machine is shared); never more than its cap allows, with room
        // for the kernel's period rounding: a figure from anywhere but the job's own cgroup would not fit both.
        Assert.InRange(cpuSeconds, 0.5, 2.3);
        Assert.Equal(0, done["gpuSeconds"]!.GetValue<double>());
    }

    [Fact]
    public async Task Job_Sleeping_ReportsAlmostNoCpu()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, Jobs.Shell("sleep 3", service: "cpuburn"));

        var done = await CorralSystem.Terminal(system, alice, id);

        Assert.Equal("succeeded", Jobs.Status(done));
        Assert.InRange(done["cpuSeconds"]!.GetValue<double>(), 0, 0.3);
    }
}
