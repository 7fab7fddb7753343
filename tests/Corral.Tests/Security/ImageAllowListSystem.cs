using Corral.Tests.EndToEnd;

namespace Corral.Tests.Security;

/// <summary>
/// The running system with two more names for the default image on the engine, tagged before the agent lists its
/// images: <see cref="Allowed"/> is on JOB_IMAGES (written without a tag, so the ":latest" rule is used) and
/// <see cref="Denied"/> is not. <see cref="GatewayOnly"/> is on the gateway's JOB_IMAGES but not on the host agent's
/// (an operator who listed it on one and not the other, or a gateway that was told otherwise). All are the same image
/// as corral/busybox:latest, so only the lists tell them apart.
/// </summary>
public sealed class ImageAllowListSystem : CorralSystem
{
    private static readonly string Suffix = Guid.NewGuid().ToString("N")[..8];

    public ImageAllowListSystem()
    {
        SetSystemVariable("JOB_IMAGES", $"corral/busybox:latest, corral/ssh:latest, {Allowed}, {GatewayOnly}");
        SetHostAgentVariable("JOB_IMAGES", $"corral/busybox:latest, corral/ssh:latest, {Allowed}");
    }

    public string Allowed { get; } = $"corral-sec-test/allowed-{Suffix}";

    public string Denied { get; } = $"corral-sec-test/denied-{Suffix}:v1";

    public string GatewayOnly { get; } = $"corral-sec-test/gateway-only-{Suffix}:v1";

    public override async Task InitializeAsync()
    {
        await TestEnvironment.DockerAsync("tag", "corral/busybox:latest", Allowed + ":latest");
        await TestEnvironment.DockerAsync("tag", "corral/busybox:latest", Denied);
        await TestEnvironment.DockerAsync("tag", "corral/busybox:latest", GatewayOnly);
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        // Removes the names only: the image keeps its corral/busybox:latest tag.
        await TestEnvironment.DockerAsync("rmi", Allowed + ":latest", Denied, GatewayOnly);
    }
}
