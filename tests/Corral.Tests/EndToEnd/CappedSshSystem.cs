using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>
/// The running system with a worker that caps SSH sessions (SSH_MAX_CPU=1.5, SSH_MAX_MEMORY=512Mi,
/// SSH_MAX_PIDS=256) and slices GPUs (ENABLE_SSH_GPU_LIMIT=true) over four injected devices: two H100s,
/// an A100 and a unified-memory GH200. No GPU is really here, so containers given GPUs cannot start.
/// </summary>
public sealed class CappedSshSystem() : CorralSystem(new Dictionary<string, string>
{
    ["SSH_MAX_CPU"] = "1.5",
    ["SSH_MAX_MEMORY"] = "512Mi",
    ["SSH_MAX_PIDS"] = "256",
    ["ENABLE_SSH_GPU_LIMIT"] = "true",
    ["CORRAL_GPU_DEVICES"] = string.Join(';', Gpus),
})
{
    public static readonly string[] Gpus =
    [
        "0, GPU-e2e-h100-0, NVIDIA H100 80GB HBM3, 81559",
        "1, GPU-e2e-h100-1, NVIDIA H100 80GB HBM3, 81559",
        "2, GPU-e2e-a100-2, NVIDIA A100-SXM4-40GB, 40960",
        "3, GPU-e2e-gh200-3, NVIDIA GH200 480GB, [N/A]",
    ];
}

[CollectionDefinition(Name)]
public sealed class CappedSshCollection : ICollectionFixture<CappedSshSystem>
{
    public const string Name = "running system with SSH caps";
}
