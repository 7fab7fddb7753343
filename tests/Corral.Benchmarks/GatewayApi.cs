using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Corral.Benchmarks;

/// <summary>The two calls every suite that runs the real processes makes on a gateway: a signed-in client, a new user.</summary>
public static class GatewayApi
{
    public static HttpClient Client(Uri gateway, string token, TimeSpan? timeout = null)
    {
        var client = new HttpClient { BaseAddress = gateway, Timeout = timeout ?? TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Creates a user through the admin's client; returns the user's token.</summary>
    public static async Task<string> CreateUserAsync(HttpClient admin, string name)
    {
        var response = await admin.PostAsJsonAsync("/api/users", new { name });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
    }
}
