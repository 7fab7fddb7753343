using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>The running gateway's /openapi/v1.json describes what a client sends and gets back.</summary>
[Collection(SystemCollection.Name)]
public sealed class OpenApiDocumentTests(CorralSystem system)
{
    [Fact]
    public async Task SubmitJob_HasTheJobSpecSchema_AndTheAcceptedAnswer()
    {
        var document = await DocumentAsync();
        var post = document["paths"]!["/api/jobs"]!["post"]!;
        var spec = Schema(document, post["requestBody"]!["content"]!["application/json"]!["schema"]!);
        Assert.Equal(
            ["command", "env", "image", "kind", "maxDurationSeconds", "priority", "resources", "retry", "service", "sshPublicKey"],
            Names(spec["properties"]!));
        Assert.Equal(["service"], spec["required"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.False(spec["additionalProperties"]!.GetValue<bool>());
        Assert.Equal(["batch", "ssh"], Schema(document, spec["properties"]!["kind"]!)["enum"]!.AsArray()
            .Where(n => n is not null).Select(n => n!.GetValue<string>()).Order());

        var resources = Schema(document, spec["properties"]!["resources"]!);
        Assert.Equal(["cpu", "gpu", "memory", "pids"], Names(resources["properties"]!));
        var memory = resources["properties"]!["memory"]!;
        Assert.Contains("Ki/Mi/Gi/Ti", memory["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(["integer", "null", "string"], memory["type"]!.AsArray().Select(n => n!.GetValue<string>()).Order(StringComparer.Ordinal));
        // Numbers are JSON numbers only: "2" is refused for cpu, so the schema must not offer a string.
        Assert.DoesNotContain("string", resources["properties"]!["cpu"]!["type"]!.ToJsonString(), StringComparison.Ordinal);
        var gpu = Schema(document, resources["properties"]!["gpu"]!);
        Assert.Equal(["count", "memory", "type"], Names(gpu["properties"]!));

        var retry = Schema(document, spec["properties"]!["retry"]!);
        Assert.Equal(["maxAttempts", "onWorkerLost"], Names(retry["properties"]!));

        var accepted = Schema(document, post["responses"]!["202"]!["content"]!["application/json"]!["schema"]!);
        Assert.Equal(["id", "status"], Names(accepted["properties"]!));
        Assert.NotNull(post["responses"]!["400"]);
    }

    [Fact]
    public async Task GetJob_AnswersWithTheJobView()
    {
        var document = await DocumentAsync();
        var get = document["paths"]!["/api/jobs/{id}"]!["get"]!;
        var view = Schema(document, get["responses"]!["200"]!["content"]!["application/json"]!["schema"]!);
        var names = Names(view["properties"]!);
        foreach (var member in new[] { "id", "user", "service", "kind", "status", "terminationReason", "exitCode", "worker", "submittedAt", "requested", "limits", "ssh" })
        {
            Assert.Contains(member, names);
        }

        Assert.NotNull(get["responses"]!["404"]);
    }

    [Fact]
    public async Task CreateUser_HasItsRequestAndAnswer()
    {
        var document = await DocumentAsync();
        var post = document["paths"]!["/api/users"]!["post"]!;
        Assert.Equal(["name", "role"], Names(Schema(document, post["requestBody"]!["content"]!["application/json"]!["schema"]!)["properties"]!));
        Assert.Equal(["name", "token"], Names(Schema(document, post["responses"]!["201"]!["content"]!["application/json"]!["schema"]!)["properties"]!));
    }

    private async Task<JsonObject> DocumentAsync()
    {
        using var anonymous = system.Client(null);
        return (await anonymous.GetFromJsonAsync<JsonObject>("/openapi/v1.json"))!;
    }

    private static string[] Names(JsonNode properties) => [.. properties.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal)];

    /// <summary>Follows "$ref" into components, and through a nullable wrapper ("oneOf": [null, $ref]).</summary>
    private static JsonObject Schema(JsonObject document, JsonNode node)
    {
        var schema = node.AsObject();
        if (schema["$ref"] is { } reference)
        {
            var name = reference.GetValue<string>().Split('/')[^1];
            return Schema(document, document["components"]!["schemas"]![name]!);
        }

        foreach (var combinator in new[] { "oneOf", "anyOf", "allOf" })
        {
            if (schema[combinator]?.AsArray().FirstOrDefault(n => n!["$ref"] is not null) is { } inner)
            {
                return Schema(document, inner);
            }
        }

        return schema;
    }
}
