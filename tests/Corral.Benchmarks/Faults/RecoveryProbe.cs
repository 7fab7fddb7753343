using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Corral.Benchmarks.Faults;

/// <summary>
/// Measures recovery as a user sees it: from a moment, how long until a newly submitted job is accepted, runs and
/// succeeds. Tries through either gateway, a new submission whenever one is refused or fails.
/// </summary>
public sealed class RecoveryProbe(FaultCluster cluster, string token)
{
    public const string Service = "probe";

    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(5);

    /// <summary>Seconds from <paramref name="since"/> until a fresh job succeeded (NaN when none did in 5 minutes).</summary>
    public async Task<double> SecondsUntilServingAsync(DateTime since)
    {
        var attempt = 0;
        while (DateTime.UtcNow - since < GiveUpAfter)
        {
            using var client = cluster.Client(token, attempt++ % FaultCluster.GatewayCount, TimeSpan.FromSeconds(20));
            try
            {
                var response = await client.PostAsJsonAsync("/api/jobs", new
                {
                    service = Service,
                    image = "corral/busybox:latest",
                    command = new[] { "echo", "probe" },
                    resources = new { cpu = 0.1, memory = "32Mi" },
                });
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
                    if (await SucceedsAsync(client, id))
                    {
                        return (DateTime.UtcNow - since).TotalSeconds;
                    }
                }
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                // Not serving yet.
            }

            await Task.Delay(250);
        }

        return double.NaN;
    }

    private static async Task<bool> SucceedsAsync(HttpClient client, string id)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                var view = await client.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}");
                switch (view!["status"]!.GetValue<string>())
                {
                    case "succeeded":
                        return true;
                    case "failed" or "cancelled":
                        return false;
                }
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                // Still recovering; keep asking.
            }

            await Task.Delay(100);
        }

        return false;
    }
}
