using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Corral.Jobs;
using Corral.Resources;

namespace Corral.Gateway.Jobs;

/// <summary>
/// Turns a submitted JSON job spec (DESIGN.md, "Job spec") into a <see cref="JobSpec"/>, or into errors keyed by
/// the field that is wrong ("resources.memory"). Unknown fields are errors too: a typo must not be silently ignored.
/// </summary>
public static partial class JobSpecParser
{
    public const string DefaultImage = "corral/busybox:latest";
    public const string DefaultSshImage = "corral/ssh:latest";
    public const int MaxDurationSecondsLimit = 30 * 24 * 3600;
    public const int MaxCommandBytes = 64 * 1024;
    public const int MaxEnvEntries = 128;
    public const int MaxEnvValueBytes = 32 * 1024;
    public const long MinMemoryBytes = 6 * 1024 * 1024;
    public const double MaxCpu = 1024;
    public const int MaxPids = 4_194_304;

    private static readonly string[] TopLevelFields =
        ["service", "image", "command", "kind", "env", "resources", "sshPublicKey", "maxDurationSeconds"];
    private static readonly string[] ResourceFields = ["cpu", "memory", "pids", "gpu"];
    private static readonly string[] GpuFields = ["count", "type", "memory"];

    public static (JobSpec? Spec, Dictionary<string, string[]> Errors) Parse(JsonElement body)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Error(string field, string message) => errors[field] = [message];

        if (body.ValueKind != JsonValueKind.Object)
        {
            Error("body", "must be a JSON object");
            return (null, errors);
        }

        RejectUnknown(body, TopLevelFields, string.Empty, Error);
        var service = ParseService(body, Error);
        var kind = ParseKind(body, Error);
        var image = ParseImage(body, kind, Error);
        var command = ParseCommand(body, kind, Error);
        var env = ParseEnv(body, Error);
        var resources = ParseResources(body, Error);
        var sshKey = ParseSshPublicKey(body, kind, Error);
        var maxDuration = ParseMaxDuration(body, kind, Error);
        return errors.Count > 0
            ? (null, errors)
            : (new JobSpec(service!, image!, command, kind, env, resources, sshKey, maxDuration), errors);
    }

    /// <summary>Service names: 1-63 characters, letters, digits, '-' and '_'; matched case-insensitively.</summary>
    public static bool IsValidService(string? service) => service is not null && ServicePattern().IsMatch(service);

    private static string? ParseService(JsonElement body, Action<string, string> error)
    {
        if (!body.TryGetProperty("service", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            error("service", "is required");
            return null;
        }

        var service = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        if (!IsValidService(service))
        {
            error("service", "must be 1-63 characters: letters, digits, '-' or '_', starting with a letter or digit");
            return null;
        }

        return service!.ToLowerInvariant();
    }

    private static string? ParseImage(JsonElement body, JobKind kind, Action<string, string> error)
    {
        if (!body.TryGetProperty("image", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return kind == JobKind.Ssh ? DefaultSshImage : DefaultImage;
        }

        var image = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        if (image is null || !ImagePattern().IsMatch(image))
        {
            error("image", "must be an image reference such as corral/busybox:latest");
            return null;
        }

        return image;
    }

    private static JobKind ParseKind(JsonElement body, Action<string, string> error)
    {
        if (!body.TryGetProperty("kind", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return JobKind.Batch;
        }

        switch (value.ValueKind == JsonValueKind.String ? value.GetString() : null)
        {
            case "batch":
                return JobKind.Batch;
            case "ssh":
                return JobKind.Ssh;
            default:
                error("kind", "must be \"batch\" or \"ssh\"");
                return JobKind.Batch;
        }
    }

    private static ImmutableArray<string> ParseCommand(JsonElement body, JobKind kind, Action<string, string> error)
    {
        if (!body.TryGetProperty("command", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (kind == JobKind.Batch)
            {
                error("command", "is required for a batch job: a list of strings such as [\"sh\", \"-c\", \"echo hi\"]");
            }

            return [];
        }

        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0
            || value.EnumerateArray().Any(a => a.ValueKind != JsonValueKind.String))
        {
            error("command", "must be a non-empty list of strings");
            return [];
        }

        var command = value.EnumerateArray().Select(a => a.GetString()!).ToImmutableArray();
        var bytes = command.Sum(Encoding.UTF8.GetByteCount);
        if (bytes > MaxCommandBytes)
        {
            error("command", $"is {bytes} bytes long; the limit is {MaxCommandBytes} bytes (put large inputs in the image or upload a script)");
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
    private static string? ParseSshPublicKey(JsonElement body, JobKind kind, Action<string, string> error)
    {
        var given = body.TryGetProperty("sshPublicKey", out var value) && value.ValueKind != JsonValueKind.Null;
        if (kind != JobKind.Ssh)
        {
            if (given)
            {
                error("sshPublicKey", "is only for kind \"ssh\"");
            }

            return null;
        }

        if (!given)
        {
            error("sshPublicKey", "is required for an SSH session: the public key you will log in with, such as the content of ~/.ssh/id_ed25519.pub");
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            error("sshPublicKey", "must be a string");
            return null;
        }

        var (key, problem) = SshPublicKeyCheck.Check(value.GetString()!);
        if (problem is not null)
        {
            error("sshPublicKey", problem);
        }

        return key;
    }

    private static int? ParseMaxDuration(JsonElement body, JobKind kind, Action<string, string> error)
    {
        if (!body.TryGetProperty("maxDurationSeconds", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (kind != JobKind.Ssh)
        {
            error("maxDurationSeconds", "is only for kind \"ssh\"");
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var seconds) || seconds < 1 || seconds > MaxDurationSecondsLimit)
        {
            error("maxDurationSeconds", $"must be a whole number of seconds from 1 to {MaxDurationSecondsLimit}");
            return null;
        }

        return seconds;
    }

    private static ImmutableDictionary<string, string> ParseEnv(JsonElement body, Action<string, string> error)
    {
        if (!body.TryGetProperty("env", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return ImmutableDictionary<string, string>.Empty;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            error("env", "must be an object of string values");
            return ImmutableDictionary<string, string>.Empty;
        }

        var env = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var entry in value.EnumerateObject())
        {
            var field = $"env.{entry.Name}";
            if (!EnvNamePattern().IsMatch(entry.Name))
            {
                error(field, "is not a valid variable name (letters, digits and '_', not starting with a digit)");
            }
            else if (entry.Value.ValueKind != JsonValueKind.String)
            {
                error(field, "must be a string");
            }
            else if (Encoding.UTF8.GetByteCount(entry.Value.GetString()!) > MaxEnvValueBytes || entry.Value.GetString()!.Contains('\0', StringComparison.Ordinal))
            {
                error(field, $"must be at most {MaxEnvValueBytes} bytes with no NUL characters");
            }
            else
            {
                env[entry.Name] = entry.Value.GetString()!;
            }
        }

        if (env.Count > MaxEnvEntries)
        {
            error("env", $"has {env.Count} entries; the limit is {MaxEnvEntries}");
        }

        return env.ToImmutable();
    }

    private static ResourceRequest ParseResources(JsonElement body, Action<string, string> error)
    {
        if (!body.TryGetProperty("resources", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return ResourceRequest.None;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            error("resources", "must be an object with cpu, memory, pids and gpu");
            return ResourceRequest.None;
        }

        RejectUnknown(value, ResourceFields, "resources.", error);
        double? cpu = null;
        if (value.TryGetProperty("cpu", out var cpuValue) && cpuValue.ValueKind != JsonValueKind.Null)
        {
            if (cpuValue.ValueKind != JsonValueKind.Number || !cpuValue.TryGetDouble(out var c) || c <= 0 || c > MaxCpu)
            {
                error("resources.cpu", $"must be a number greater than 0 and at most {MaxCpu}, such as 1.5");
            }
            else
            {
                cpu = c;
            }
        }

        var memory = ParseBytes(value, "memory", "resources.memory", MinMemoryBytes, error);
        int? pids = null;
        if (value.TryGetProperty("pids", out var pidsValue) && pidsValue.ValueKind != JsonValueKind.Null)
        {
            if (pidsValue.ValueKind != JsonValueKind.Number || !pidsValue.TryGetInt32(out var p) || p < 1 || p > MaxPids)
            {
                error("resources.pids", $"must be a whole number from 1 to {MaxPids}");
            }
            else
            {
                pids = p;
            }
        }

        return new ResourceRequest(cpu, memory, pids, ParseGpu(value, error));
    }

    private static GpuRequest? ParseGpu(JsonElement resources, Action<string, string> error)
    {
        if (!resources.TryGetProperty("gpu", out var gpu) || gpu.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (gpu.ValueKind != JsonValueKind.Object)
        {
            error("resources.gpu", "must be an object with count, type and memory");
            return null;
        }

        RejectUnknown(gpu, GpuFields, "resources.gpu.", error);
        var count = 1;
        if (gpu.TryGetProperty("count", out var countValue) && countValue.ValueKind != JsonValueKind.Null
            && (countValue.ValueKind != JsonValueKind.Number || !countValue.TryGetInt32(out count) || count < 1 || count > 64))
        {
            error("resources.gpu.count", "must be a whole number from 1 to 64");
        }

        string? type = null;
        if (gpu.TryGetProperty("type", out var typeValue) && typeValue.ValueKind != JsonValueKind.Null)
        {
            type = typeValue.ValueKind == JsonValueKind.String ? typeValue.GetString() : null;
            if (string.IsNullOrWhiteSpace(type) || type.Length > 64)
            {
                error("resources.gpu.type", "must be a GPU model such as \"H100\"");
            }
        }

        var memory = ParseBytes(gpu, "memory", "resources.gpu.memory", 1, error);
        return new GpuRequest(count, type, memory);
    }

    private static long? ParseBytes(JsonElement parent, string name, string field, long min, Action<string, string> error)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        long bytes;
        var parsed = value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetInt64(out bytes),
            JsonValueKind.String => ByteSize.TryParse(value.GetString(), out bytes),
            _ => (bytes = 0) == 1,
        };
        if (!parsed)
        {
            error(field, $"'{value}' is not a size: use bytes or a Ki/Mi/Gi/Ti or K/M/G/T suffix, such as \"512Mi\"");
            return null;
        }

        if (bytes < min)
        {
            error(field, $"must be at least {ByteSize.Format(min)}");
            return null;
        }

        return bytes;
    }

    private static void RejectUnknown(JsonElement element, string[] known, string prefix, Action<string, string> error)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
            {
                error(prefix + property.Name, $"is not a known field (known: {string.Join(", ", known)})");
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex ServicePattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9._/-]{0,254}(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(@sha256:[a-f0-9]{64})?$", RegexOptions.CultureInvariant)]
    private static partial Regex ImagePattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvNamePattern();
}
