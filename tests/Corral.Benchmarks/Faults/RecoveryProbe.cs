using System.Diagnostics;
using System.Globalization;
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
    public async Task<double> SecondsUntilServingAsync(DateTime since) => (await UntilServingAsync(since)).Seconds;

    /// <summary>
    /// How long from <paramref name="since"/> until a fresh job succeeded, and where that time went: the submissions
    /// refused or failed first, the moment the one that succeeded was accepted, and its own steps.
    /// </summary>
    public async Task<Recovery> UntilServingAsync(DateTime since)
    {
        var attempt = 0;
        var unanswered = new List<string>();
        while (DateTime.UtcNow - since < GiveUpAfter)
        {
            using var client = cluster.Client(token, attempt++ % FaultCluster.GatewayCount, TimeSpan.FromSeconds(20));
            var tried = DateTime.UtcNow;
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
                    var accepted = (DateTime.UtcNow - since).TotalSeconds;
                    var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
                    if (await EndedAsync(client, id) is { } view && view["status"]!.GetValue<string>() == "succeeded")
                    {
                        return new Recovery((DateTime.UtcNow - since).TotalSeconds, accepted, attempt, Steps(view, since));
                    }

                    unanswered.Add($"{Since(tried, since)} accepted but did not succeed");
                }
                else
                {
                    unanswered.Add($"{Since(tried, since)} {(int)response.StatusCode}");
                }
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                unanswered.Add($"{Since(tried, since)} {error.GetType().Name}");
            }

            await Task.Delay(250);
        }

        return new Recovery(double.NaN, double.NaN, attempt, string.Join(", ", unanswered.TakeLast(10)));
    }

    /// <summary>The job's view once it ended; null when it did not in a minute.</summary>
    private static async Task<JsonObject?> EndedAsync(HttpClient client, string id)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                var view = await client.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}");
                if (view!["status"]!.GetValue<string>() is "succeeded" or "failed" or "cancelled")
                {
                    return view;
                }
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                // Still recovering; keep asking.
            }

            await Task.Delay(100);
        }

        return null;
    }

    /// <summary>The job's steps as "queued +4.12 s, pending +4.13 s, ...", from <paramref name="since"/>.</summary>
    private static string Steps(JsonObject view, DateTime since) => string.Join(", ", view["history"]!.AsArray().Select(step =>
        $"{step!["status"]!.GetValue<string>()} {Since(step["at"]!.GetValue<DateTimeOffset>().UtcDateTime, since)}"));

    private static string Since(DateTime at, DateTime since) =>
        string.Create(CultureInfo.InvariantCulture, $"+{(at - since).TotalSeconds:0.00} s");
}

/// <summary>
/// A recovery: <see cref="Seconds"/> until a fresh job succeeded, <see cref="AcceptedSeconds"/> until that job was
/// accepted, the submissions it took, and that job's steps (or, when none succeeded, the last tries).
/// </summary>
public sealed record Recovery(double Seconds, double AcceptedSeconds, int Submissions, string Steps);
