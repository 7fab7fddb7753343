using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Corral.Gateway.Api.Requests;

/// <summary>
/// Names the member a binding error is about ("resources.memory", "env.A") and says what it must be, from the
/// exception's JSON path and the request type's metadata, so a bad body never gets the serializer's generic text.
/// </summary>
public static class JsonBodyErrors
{
    public static (string Field, string Message) Describe(JsonException error, Type requestType, JsonSerializerOptions options)
    {
        // The reader's own exception inside means the text is not JSON at all, wherever it broke.
        if (error.InnerException is JsonException)
        {
            return ("body", $"is not valid JSON: {error.Message}");
        }

        var info = options.GetTypeInfo(requestType);
        var field = new List<string>();
        var rule = "must be a JSON object";
        foreach (var (name, isIndex) in Segments(error.Path))
        {
            if (info.Kind == JsonTypeInfoKind.Object && !isIndex)
            {
                var property = info.Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal));
                if (property is null)
                {
                    var known = string.Join(", ", info.Properties.Select(p => p.Name));
                    return (Join(field, name), $"is not a known field (known: {known})");
                }

                field.Add(name);
                rule = RuleOf(property);
                info = options.GetTypeInfo(property.PropertyType);
            }
            else if (info.Kind == JsonTypeInfoKind.Dictionary && !isIndex)
            {
                field.Add(name);
                rule = info.ElementType == typeof(string) ? "must be a string" : $"must be a {info.ElementType!.Name}";
                info = options.GetTypeInfo(info.ElementType!);
            }
            else if (info.Kind == JsonTypeInfoKind.Enumerable && isIndex)
            {
                info = options.GetTypeInfo(info.ElementType!);
            }
            else
            {
                break;
            }
        }

        var message = error is FieldJsonException ? error.Message : IsDuplicate(error) ? DuplicateRule : rule;
        return (field.Count == 0 ? "body" : string.Join('.', field), message);
    }

    public const string DuplicateRule = "is given more than once: send each member once";

    /// <summary>
    /// The serializer refuses a repeated member (<see cref="JsonSerializerOptions.AllowDuplicateProperties"/>) with a
    /// plain <see cref="JsonException"/> at the member's path; only its text tells it from a wrong type.
    /// </summary>
    private static bool IsDuplicate(JsonException error) =>
        error.Message.StartsWith("Duplicate propert", StringComparison.Ordinal);

    private static string Join(List<string> parents, string name) => parents.Count == 0 ? name : $"{string.Join('.', parents)}.{name}";

    private static string RuleOf(JsonPropertyInfo property) =>
        property.AttributeProvider?.GetCustomAttributes(typeof(DescriptionAttribute), inherit: true)
            .OfType<DescriptionAttribute>().FirstOrDefault()?.Description
        ?? "has the wrong JSON type";

    /// <summary>Splits "$.env['a.b'].x[3]" into (env), (a.b), (x), (3 as an index).</summary>
    private static IEnumerable<(string Name, bool IsIndex)> Segments(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            yield break;
        }

        var i = path.StartsWith('$') ? 1 : 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                yield return (path[(i + 1)..end], false);
                i = end;
            }
            else if (path[i] == '[' && i + 1 < path.Length && path[i + 1] == '\'')
            {
                var end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                end = end < 0 ? path.Length : end;
                yield return (path[(i + 2)..end], false);
                i = end + 2;
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i);
                end = end < 0 ? path.Length : end;
                yield return (path[(i + 1)..end], true);
                i = end + 1;
            }
            else
            {
                yield break;
            }
        }
    }
}
