using Corral.HostAgent.Containers;
using Docker.DotNet.Models;
using Xunit;

namespace Corral.Tests.Fleet;

/// <summary>
/// The host agent's wait on a job's container across a restart of its Docker engine: a Docker engine of the test's
/// own in a network namespace (this machine's shared engine is never restarted), stopped while the container runs
/// and started again on the same data root. The wait must not fail with the engine: it ends when the container does.
/// </summary>
public sealed class EngineRestartTests
{
    private const string Image = "corral/busybox:latest";

    [Fact]
    public async Task With_live_restore_the_wait_outlasts_the_restart_and_reads_the_containers_own_exit()
    {
        await using var host = await WorkerHostNamespace.CreateAsync();
        await using var engine = await NamespacedDockerEngine.StartAsync(host);
        await engine.CopyImageAsync(Image);
        await engine.SetLiveRestoreAsync(true);
        using var client = ContainerRuntime.Connect(new Uri(engine.Endpoint));
        var runtime = new ContainerRuntime(client);
        var id = await StartAsync(client, "sleep 12; exit 3");

        var waiting = runtime.WaitAsync(id, CancellationToken.None);
        await engine.RestartAsync(TimeSpan.FromSeconds(3));
        var exit = await waiting.WaitAsync(TimeSpan.FromSeconds(60));

        // Its own exit code (3), not the engine's: the container outlived the engine.
        Assert.Equal(3, exit.ExitCode);
        Assert.True(exit.DuringEngineOutage);
    }

    [Fact]
    public async Task Without_live_restore_the_wait_ends_with_the_container_the_engine_stopped()
    {
        await using var host = await WorkerHostNamespace.CreateAsync();
        await using var engine = await NamespacedDockerEngine.StartAsync(host);
        await engine.CopyImageAsync(Image);
        using var client = ContainerRuntime.Connect(new Uri(engine.Endpoint));
        var runtime = new ContainerRuntime(client);
        var id = await StartAsync(client, "sleep 600");

        var waiting = runtime.WaitAsync(id, CancellationToken.None);
        await engine.RestartAsync(TimeSpan.FromSeconds(3));
        var exit = await waiting.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exit.ExitCode);
        Assert.Equal("false", (await engine.DockerAsync("inspect", "--format", "{{.State.Running}}", id)).Trim());
    }

    private static async Task<string> StartAsync(Docker.DotNet.DockerClient client, string script)
    {
        var created = await client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = Image,
            Cmd = ["sh", "-c", script],
        });
        await client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters());
        return created.ID;
    }
}
