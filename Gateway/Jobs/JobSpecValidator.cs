using System.Collections.Immutable;
using System.Text;
using System.Text.RegularExpressions;
using Corral.Gateway.Api.Requests;
using Corral.Jobs;
using Corral.Resources;

namespace Corral.Gateway.Jobs;

/// <summary>
/// Turns a bound <see cref="JobSpecRequest"/> into a <see cref="JobSpec"/>, or into errors keyed by the field that
/// is wrong ("resources.memory"). JSON types and unknown members were already checked by the binder.
/// </summary>
public static partial class JobSpecValidator
{
    public static (JobSpec? Spec, Dictionary<string, string[]> Errors) Validate(JobSpecRequest? request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Error(string field, string message) => errors[field] = [message];

        if (request is null)
        {
            Error("body", "is required: a job spec, as a JSON object");
            return (null, errors);
        }

        var service = ValidService(request.Service, Error);
        var kind = request.Kind ?? JobKind.Batch;
        var image = ValidImage(request.Image, kind, Error);
        var command = ValidCommand(request.Command, kind, Error);
        var env = ValidEnv(request.Env, Error);
        var resources = ValidResources(request.Resources, Error);
        var sshKey = ValidSshPublicKey(request.SshPublicKey, kind, Error);
        var maxDuration = ValidMaxDuration(request.MaxDurationSeconds, Error);
        var retry = ValidRetry(request.Retry, Error);
        return errors.Count > 0
            ? (null, errors)
            : (new JobSpec(service!, image!, command, kind, env, resources, sshKey, maxDuration, request.Priority ?? JobPriority.Normal, retry), errors);
    }

    /// <summary>Service names: 1-63 characters, letters, digits, '-' and '_'; matched case-insensitively.</summary>
    public static bool IsValidService(string? service) => service is not null && ServicePattern().IsMatch(service);

    private static string? ValidService(string? service, Action<string, string> error)
    {
        if (service is null)
        {
            error("service", "is required");
            return null;
        }

        if (!IsValidService(service))
        {
            error("service", JobSpecRules.Service);
            return null;
        }

        return service.ToLowerInvariant();
    }

    private static string? ValidImage(string? image, JobKind kind, Action<string, string> error)
    {
        if (image is null)
        {
            return kind == JobKind.Ssh ? JobSpecRules.DefaultSshImage : JobSpecRules.DefaultImage;
        }

        if (!IsImageReference(image))
        {
            error("image", JobSpecRules.Image);
            return null;
        }

        return image;
    }

    private static ImmutableArray<string> ValidCommand(IReadOnlyList<string?>? given, JobKind kind, Action<string, string> error)
    {
        if (given is null)
        {
            if (kind == JobKind.Batch)
            {
                error("command", "is required for a batch job: a list of strings such as [\"sh\", \"-c\", \"echo hi\"]");
            }

            return [];
        }

        if (given.Count == 0 || given.Any(a => a is null))
        {
            error("command", "must be a non-empty list of strings");
            return [];
        }

        var command = given.Select(a => a!).ToImmutableArray();
        var bytes = command.Sum(Encoding.UTF8.GetByteCount);
        if (bytes > JobSpecRules.MaxCommandBytes)
        {
            error("command", $"is {bytes} bytes long; the limit is {JobSpecRules.MaxCommandBytes} bytes (put large inputs in the image or upload a script)");
            return [];
        }

        if (command.Any(a => a.Contains('\0', StringComparison.Ordinal)))
        {
            error("command", "must not contain NUL characters");
            return [];
        }

        return command;
    }

    /// <summary>Required for an SSH session (the only key it accepts); refused for a batch job, which has no use for it.</summary>
    private static string? ValidSshPublicKey(string? given, JobKind kind, Action<string, string> error)
    {
        if (kind != JobKind.Ssh)
        {
            if (given is not null)
            {
                error("sshPublicKey", "is only for kind \"ssh\"");
            }

            return null;
        }

        if (given is null)
        {
            error("sshPublicKey", "is required for an SSH session: the public key you will log in with, such as the content of ~/.ssh/id_ed25519.pub");
            return null;
        }

        var (key, problem) = SshPublicKeyCheck.Check(given);
        if (problem is not null)
        {
            error("sshPublicKey", problem);
        }

        return key;
    }

    /// <summary>"retry": onWorkerLost is required; maxAttempts 1-10, 3 when left out. Off (or absent) keeps no policy.</summary>
    private static RetryPolicy? ValidRetry(RetryRequest? retry, Action<string, string> error)
    {
        if (retry is null)
        {
            return null;
        }

        if (retry.OnWorkerLost is null)
        {
            error("retry.onWorkerLost", "is required: " + JobSpecRules.RetryOnWorkerLost);
            return null;
        }

        var attempts = retry.MaxAttempts ?? JobSpecRules.DefaultRetryAttempts;
        if (attempts < 1 || attempts > RetryPolicy.MaxAttemptsLimit)
        {
            error("retry.maxAttempts", JobSpecRules.RetryMaxAttempts);
            return null;
        }

        return retry.OnWorkerLost.Value ? new RetryPolicy(true, attempts) : null;
    }

    private static int? ValidMaxDuration(int? seconds, Action<string, string> error)
    {
        if (seconds is null)
        {
            return null;
        }

        if (seconds < 1 || seconds > JobSpecRules.MaxDurationSecondsLimit)
        {
            error("maxDurationSeconds", $"must be a whole number of seconds from 1 to {JobSpecRules.MaxDurationSecondsLimit}");
            return null;
        }

        return seconds;
    }

    private static ImmutableDictionary<string, string> ValidEnv(IReadOnlyDictionary<string, string?>? given, Action<string, string> error)
    {
        if (given is null)
        {
            return ImmutableDictionary<string, string>.Empty;
        }

        var env = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in given)
        {
            var field = $"env.{name}";
            if (!EnvNamePattern().IsMatch(name))
            {
                error(field, "is not a valid variable name (letters, digits and '_', not starting with a digit)");
            }
            else if (PlatformEnvironment.IsReserved(name))
            {
                error(field, JobSpecRules.EnvReserved);
            }
            else if (value is null)
            {
                error(field, JobSpecRules.EnvValue);
            }
            else if (Encoding.UTF8.GetByteCount(value) > JobSpecRules.MaxEnvValueBytes || value.Contains('\0', StringComparison.Ordinal))
            {
                error(field, $"must be at most {JobSpecRules.MaxEnvValueBytes} bytes with no NUL characters");
            }
            else
            {
                env[name] = value;
            }
        }

        if (env.Count > JobSpecRules.MaxEnvEntries)
        {
            error("env", $"has {env.Count} entries; the limit is {JobSpecRules.MaxEnvEntries}");
        }

        return env.ToImmutable();
    }

    private static ResourceRequest ValidResources(ResourcesRequest? given, Action<string, string> error)
    {
        if (given is null)
        {
            return ResourceRequest.None;
        }

        // Below the minimum a cpu would round to NanoCPUs = 0, which Docker reads as "no cap".
        if (given.Cpu is { } cpu && (!double.IsFinite(cpu) || cpu < JobSpecRules.MinCpu || cpu > JobSpecRules.MaxCpu))
        {
            error("resources.cpu", JobSpecRules.Cpu);
        }

        if (given.Pids is { } pids && (pids < 1 || pids > JobSpecRules.MaxPids))
        {
            error("resources.pids", JobSpecRules.Pids);
        }

        var memory = ValidBytes(given.Memory, "resources.memory", JobSpecRules.MinMemoryBytes, error);
        return new ResourceRequest(given.Cpu, memory, given.Pids, ValidGpu(given.Gpu, error));
    }

    private static GpuRequest? ValidGpu(GpuResourcesRequest? gpu, Action<string, string> error)
    {
        if (gpu is null)
        {
            return null;
        }

        var count = gpu.Count ?? 1;
        if (count < 1 || count > JobSpecRules.MaxGpus)
        {
            error("resources.gpu.count", JobSpecRules.GpuCount);
        }

        if (gpu.Type is { } type && (string.IsNullOrWhiteSpace(type) || type.Length > 64))
        {
            error("resources.gpu.type", JobSpecRules.GpuType);
        }

        return new GpuRequest(count, gpu.Type, ValidBytes(gpu.Memory, "resources.gpu.memory", 1, error));
    }

    private static long? ValidBytes(long? bytes, string field, long min, Action<string, string> error)
    {
        if (bytes < min)
        {
            error(field, $"must be at least {ByteSize.Format(min)}");
            return null;
        }

        return bytes;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex ServicePattern();

    /// <summary>Whether <paramref name="image"/> is an image reference a job may name (also the rule for JOB_IMAGES entries).</summary>
    public static bool IsImageReference(string image) => Corral.Images.ImageReference.IsValid(image);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvNamePattern();
}
