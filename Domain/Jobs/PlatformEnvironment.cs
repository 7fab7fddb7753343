namespace Corral.Jobs;

/// <summary>
/// Environment variables the platform owns in a job's container. NVIDIA_* variables steer the NVIDIA container
/// runtime (NVIDIA_VISIBLE_DEVICES=all would hand a job every GPU on the host); CUDA_VISIBLE_DEVICES is set from
/// the job's own devices. A user's job spec may set none of them.
/// </summary>
public static class PlatformEnvironment
{
    public const string NvidiaPrefix = "NVIDIA_";
    public const string NvidiaVisibleDevices = "NVIDIA_VISIBLE_DEVICES";
    public const string CudaVisibleDevices = "CUDA_VISIBLE_DEVICES";

    /// <summary>"void": the NVIDIA runtime gives the container no GPU, whatever the image's own environment says.</summary>
    public const string NoGpus = "void";

    /// <summary>Whether a variable of a job's env is the platform's to set (matched as Linux does: case-sensitive).</summary>
    public static bool IsReserved(string name) =>
        name.StartsWith(NvidiaPrefix, StringComparison.Ordinal)
        || string.Equals(name, CudaVisibleDevices, StringComparison.Ordinal);
}
