using System.Globalization;
using System.Text.Json.Nodes;

namespace Corral.Cli;

/// <summary>
/// The job spec of POST /api/jobs from corral run's options. Values go to the API as typed: a number where the
/// text is one, else the text itself, so the API's own rules (and words, naming the field) judge every value.
/// </summary>
public static class JobSpecBuilder
{
    public sealed record Options(
        string Service,
        string? Image,
        IReadOnlyList<string> Command,
        string? Cpu = null,
        string? Memory = null,
        string? Pids = null,
        string? Gpu = null,
        IReadOnlyList<string>? Env = null,
        string? MaxDurationSeconds = null,
        string? SshPublicKey = null);

    public static JsonObject Build(Options options)
    {
        var spec = new JsonObject { ["service"] = options.Service };
        if (options.Image is not null)
        {
            spec["image"] = options.Image;
        }

        if (options.Command.Count > 0)
        {
            spec["command"] = new JsonArray([.. options.Command.Select(part => (JsonNode?)JsonValue.Create(part))]);
        }

        if (options.SshPublicKey is not null)
        {
            spec["kind"] = "ssh";
            spec["sshPublicKey"] = options.SshPublicKey;
        }

        if (options.Env is { Count: > 0 } env)
        {
            var variables = new JsonObject();
            foreach (var pair in env)
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new UsageException($"--env: '{pair}' is not NAME=VALUE");
                }

                variables[pair[..equals]] = pair[(equals + 1)..];
            }

            spec["env"] = variables;
        }

        var resources = new JsonObject();
        Add(resources, "cpu", options.Cpu);
        Add(resources, "memory", options.Memory);
        Add(resources, "pids", options.Pids);
        if (options.Gpu is not null)
        {
            resources["gpu"] = Gpu(options.Gpu);
        }

        if (resources.Count > 0)
        {
            spec["resources"] = resources;
        }

        Add(spec, "maxDurationSeconds", options.MaxDurationSeconds);
        return spec;
    }

    /// <summary>--gpu COUNT[:TYPE[:MEMORY]], e.g. 1, 2:H100, 1:H100:40GB.</summary>
    private static JsonObject Gpu(string text)
    {
        var parts = text.Split(':');
        if (parts.Length > 3)
        {
            throw new UsageException($"--gpu: '{text}' is not COUNT[:TYPE[:MEMORY]]");
        }

        var gpu = new JsonObject();
        Add(gpu, "count", parts[0]);
        if (parts.Length > 1 && parts[1].Length > 0)
        {
            gpu["type"] = parts[1];
        }

        if (parts.Length > 2 && parts[2].Length > 0)
        {
            gpu["memory"] = parts[2];
        }

        return gpu;
    }

    /// <summary>Memory sizes stay text ("512Mi"): the API reads units; other values become numbers where they are.</summary>
    private static void Add(JsonObject target, string name, string? text)
    {
        if (text is null)
        {
            return;
        }

        if (name != "memory" && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            target[name] = number == Math.Floor(number) && Math.Abs(number) < long.MaxValue
                ? JsonValue.Create((long)number)
                : JsonValue.Create(number);
            return;
        }

        target[name] = text;
    }
}
