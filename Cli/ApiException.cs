using System.Text.Json;

namespace Corral.Cli;

/// <summary>
/// An error answer of the API: its RFC 7807 problem (detail names the field, e.g. "resources.cpu: must be ...")
/// and the raw body for --output json.
/// </summary>
public sealed class ApiException(int status, string message, string? body) : Exception(message)
{
    public int Status { get; } = status;

    public string? Body { get; } = body;

    public static ApiException From(int status, string? reasonPhrase, string body)
    {
        try
        {
            using var problem = JsonDocument.Parse(body);
            var root = problem.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                var detail = Text(root, "detail") ?? Text(root, "title") ?? reasonPhrase ?? "error";
                return new ApiException(status, $"{detail} (HTTP {status})", body);
            }
        }
        catch (JsonException)
        {
            // Not a problem document (a proxy's page, an empty body): say what the status says.
        }

        var text = string.IsNullOrWhiteSpace(body) ? reasonPhrase : body.Trim();
        return new ApiException(status, $"{text} (HTTP {status})", body);
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
