using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Corral.Gateway.Jobs;
using Corral.Tests.EndToEnd;
using JobCalls = Corral.Tests.EndToEnd.Jobs;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>
/// JOB_IMAGES end to end: an image the worker holds but the list does not name is refused at submission, with an
/// answer that does not say whether a worker holds it, and nothing is stored; the same image under a listed name runs.
/// </summary>
public sealed class ImageAllowListSecurityTests(ImageAllowListSystem system) : IClassFixture<ImageAllowListSystem>
{
    [Fact]
    public async Task ImageOnTheWorkerButNotAllowed_Is400NamingImage_RevealsNothing_AndStoresNothing()
    {
        using var admin = system.Client(system.AdminToken);
        var workers = (await admin.GetFromJsonAsync<JsonArray>("/api/workers"))!;
        var images = workers.Single(w => w!["name"]!.GetValue<string>() == system.WorkerName)!["images"]!.AsArray()
            .Select(i => i!.GetValue<string>()).ToList();
        // The attack needs the image to be there: the worker really holds it.
        Assert.Contains(system.Denied, images);

        var name = "mallory" + Guid.NewGuid().ToString("N")[..6];
        var created = await admin.PostAsJsonAsync("/api/users", new { name });
        using var mallory = system.Client((await created.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>());

        var held = await RefusedAsync(mallory, system.Denied, "probe-held");
        var nowhere = await RefusedAsync(mallory, "corral-sec-test/nowhere:v1", "probe-nowhere");
        Assert.Contains("is not allowed", held, StringComparison.Ordinal);
        // One answer whether a worker holds the image or not: no oracle for what else is on the workers.
        Assert.Equal(nowhere.Replace("corral-sec-test/nowhere:v1", "X", StringComparison.Ordinal),
            held.Replace(system.Denied, "X", StringComparison.Ordinal));
        Assert.DoesNotContain("worker", held, StringComparison.OrdinalIgnoreCase);

        Assert.Empty((await mallory.GetFromJsonAsync<JsonObject>("/api/jobs"))!["items"]!.AsArray());
        var id = JobSubmitter.JobIdFor(name, "probe-held");
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/jobs/{id}")).StatusCode);
    }

    [Fact]
    public async Task TheSameImage_UnderANameTheOperatorAllowed_Runs()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        // Listed without a tag, named with ":latest": one image by the placement rule.
        var id = await JobCalls.SubmitAsync(alice, new { service = "allowed", image = system.Allowed + ":latest", command = new[] { "echo", "allowed-ran" } });
        var job = await CorralSystem.Terminal(system, alice, id);
        Assert.Equal("succeeded", JobCalls.Status(job));
        Assert.Contains("allowed-ran", await alice.GetStringAsync($"/api/jobs/{id}/logs"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnImageTheGatewayAllows_ButTheHostAgentDoesNot_EndsContainerError_WithoutRun_RevealingNothing()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await JobCalls.SubmitAsync(alice, new { service = "gateway-only", image = system.GatewayOnly, command = new[] { "echo", "must-not-run" } });
        var job = await CorralSystem.Terminal(system, alice, id);
        Assert.Equal(("failed", "container_error"), (JobCalls.Status(job), JobCalls.Reason(job)));
        var message = job["message"]!.GetValue<string>();
        Assert.Contains(system.GatewayOnly, message, StringComparison.Ordinal);
        Assert.Contains("not allowed on this worker", message, StringComparison.Ordinal);
        // Nothing about what the worker holds or allows: neither the other listed images nor the engine's.
        Assert.DoesNotContain(system.Allowed, message, StringComparison.Ordinal);
        Assert.DoesNotContain("corral/busybox", message, StringComparison.Ordinal);
        Assert.DoesNotContain(system.Denied, message, StringComparison.Ordinal);
        Assert.DoesNotContain("must-not-run", await alice.GetStringAsync($"/api/jobs/{id}/logs"), StringComparison.Ordinal);
        // Refused before a container was made.
        Assert.Equal(string.Empty, await TestEnvironment.DockerAsync("ps", "-a", "--filter", $"label=corral.job-id={id}", "-q"));
    }

    private static async Task<string> RefusedAsync(HttpClient client, string image, string idempotencyKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs")
        {
            Content = JsonContent.Create(new { service = "probe", image, command = new[] { "true" } }),
        };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{image}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var errors = JsonNode.Parse(body)!["errors"]!.AsObject();
        Assert.Equal(["image"], errors.Select(e => e.Key));
        return errors["image"]![0]!.GetValue<string>();
    }
}
