using System.Diagnostics;
using Corral.HostAgent;
using Corral.HostAgent.Containers;
using Corral.HostAgent.Jobs;
using Corral.Jobs;
using Corral.Tests.EndToEnd;
using Corral.Workers;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Corral.Tests.Containers;

/// <summary>
/// The OOM monitor on real containers, with the engine's event stream cut off (an engine socket that does not exist):
/// an OOM kill the engine never reports, as it does not for one in a container's first moments, is still seen in the
/// container's cgroup and ends the job <c>out_of_memory</c>.
/// </summary>
public sealed class OomMonitorTests : IAsyncLifetime
{
    private readonly List<string> _containers = [];
    private OomMonitor _monitor = null!;

    public Task InitializeAsync()
    {
        var settings = new HostAgentSettings(
            "oom", "127.0.0.1", new Uri("unix:///var/run/docker.sock"), 0, 0, [], SshCaps.Uncapped, false, null);
        var unreachableEngine = new ContainerRuntime(ContainerRuntime.Connect(new Uri("unix:///nonexistent/docker.sock")));
        _monitor = new OomMonitor(unreachableEngine, settings, TimeProvider.System, NullLogger<OomMonitor>.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var container in _containers)
        {
            await TestEnvironment.DockerAsync("rm", "-f", container);
        }
    }

    [Fact]
    public async Task AChildKilledOutOfMemory_WhileTheMainProcessLivesOn_EndsTheJobOutOfMemory()
    {
        // dd fills a tmpfs charged to the 32 MiB cap; the kernel kills dd, the shell sleeps on.
        var kills = await WatchAsync("dd if=/dev/zero of=/run/fill bs=1048576 count=64; sleep 60", TimeSpan.FromSeconds(10));

        var (reason, message) = Assert.Single(kills);
        Assert.Equal(TerminationReason.OutOfMemory, reason);
        Assert.Equal(OomMonitor.Message, message);
    }

    [Fact]
    public async Task AJobWithinItsMemory_IsLeftAlone()
    {
        var kills = await WatchAsync("dd if=/dev/zero of=/run/fill bs=1048576 count=8; sleep 60", OomMonitor.PollInterval * 8);

        Assert.Empty(kills);
    }

    /// <summary>Starts a container capped at 32 MiB running <paramref name="script"/> and watches it for up to <paramref name="watchFor"/>.</summary>
    private async Task<List<(TerminationReason Reason, string Message)>> WatchAsync(string script, TimeSpan watchFor)
    {
        var id = (await TestEnvironment.DockerAsync(
            "create", "--memory", "32m", "--memory-swap", "32m", "--tmpfs", "/run:size=64m", "corral/busybox:latest", "sh", "-c", script)).Trim();
        _containers.Add(id);
        var kills = new List<(TerminationReason, string)>();
        var job = new SupervisedJob("0123456789abcdef0123456789abcdef", "oom") { ContainerId = id };
        var context = new JobMonitorContext(job, (reason, message) =>
        {
            lock (kills)
            {
                kills.Add((reason, message));
            }

            return Task.CompletedTask;
        });

        await using (await _monitor.StartAsync(context, CancellationToken.None))
        {
            await TestEnvironment.DockerAsync("start", id);
            var watched = Stopwatch.StartNew();
            while (watched.Elapsed < watchFor && kills.Count == 0)
            {
                await Task.Delay(50);
            }
        }

        lock (kills)
        {
            return [.. kills];
        }
    }
}
