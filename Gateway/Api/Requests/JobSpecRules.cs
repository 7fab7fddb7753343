namespace Corral.Gateway.Api.Requests;

/// <summary>
/// The limits of a job spec and the rule each member must follow. The rules are the OpenAPI descriptions and
/// the messages of a 400, so the document and the errors say the same thing.
/// </summary>
public static class JobSpecRules
{
    public const string DefaultImage = Corral.Images.ImageReference.DefaultBatch;
    public const string DefaultSshImage = Corral.Images.ImageReference.DefaultSsh;
    public const int MaxDurationSecondsLimit = 30 * 24 * 3600;
    public const int MaxCommandBytes = 64 * 1024;
    public const int MaxEnvEntries = 128;
    public const int MaxEnvValueBytes = 32 * 1024;
    public const long MinMemoryBytes = Corral.Resources.ContainerCaps.MinMemoryBytes;
    /// <summary>The smallest CPU a job may ask for (Docker's floor; less would round to "no cap").</summary>
    public const double MinCpu = Corral.Resources.ContainerCaps.MinCpu;
    public const double MaxCpu = 1024;
    public const int MaxPids = 4_194_304;
    public const int MaxGpus = 64;
    /// <summary>retry.maxAttempts when a retry asks for none.</summary>
    public const int DefaultRetryAttempts = 3;

    public const string Service = "must be 1-63 characters: letters, digits, '-' or '_', starting with a letter or digit";
    public const string Image = "must be an image reference such as corral/busybox:latest";
    public const string Command = "must be a non-empty list of strings, such as [\"sh\", \"-c\", \"echo hi\"] (required for kind \"batch\")";
    public const string Kind = "must be \"batch\" or \"ssh\"";
    public const string Env = "must be an object of string values";
    public const string EnvValue = "must be a string";
    public const string EnvReserved = "is set by the platform: NVIDIA_* variables and CUDA_VISIBLE_DEVICES come from the GPUs the job asked for (resources.gpu)";
    public const string Resources = "must be an object with cpu, memory, pids and gpu";
    public const string Cpu = "must be a number from 0.01 to 1024, such as 1.5";
    public const string Memory = "must be bytes or a size with a Ki/Mi/Gi/Ti or K/M/G/T suffix, such as \"512Mi\", at least 6 MiB";
    public const string Pids = "must be a whole number from 1 to 4194304";
    public const string Gpu = "must be an object with count, type and memory";
    public const string GpuCount = "must be a whole number from 1 to 64";
    public const string GpuType = "must be a GPU model such as \"H100\"";
    public const string GpuMemory = "must be bytes or a size with a Ki/Mi/Gi/Ti or K/M/G/T suffix, such as \"40GB\"";
    public const string SshPublicKey = "must be a string: the OpenSSH public key line you will log in with (kind \"ssh\" only)";
    public const string MaxDurationSeconds = "must be a whole number of seconds from 1 to 2592000";
    public const string Priority = "must be \"low\", \"normal\" or \"high\"";
    public const string Retry = "must be an object with onWorkerLost and maxAttempts, such as {\"onWorkerLost\": true, \"maxAttempts\": 3}";
    public const string RetryOnWorkerLost = "must be true or false: whether a job whose worker is lost runs again (same id, back to pending)";
    public const string RetryMaxAttempts = "must be a whole number from 1 to 10: attempts in all, the first included";
}
