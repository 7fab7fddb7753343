using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>Small helpers for driving the REST API as a user would.</summary>
public static class Jobs
{
    public static async Task<string> SubmitAsync(HttpClient client, object spec)
    {
        var response = await client.PostAsJsonAsync("/api/jobs", spec);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"submit answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!["id"]!.GetValue<string>();
    }

    public static object Shell(string script, string service = "lifecycle", double cpu = 0.25, string? memory = null) => new
    {
        service,
        image = "corral/busybox:latest",
        command = new[] { "sh", "-c", script },
        resources = new { cpu, memory = memory ?? "64Mi" },
    };

    public static string Status(JsonObject job) => job["status"]!.GetValue<string>();

    public static string? Reason(JsonObject job) => job["terminationReason"]?.GetValue<string>();
}
