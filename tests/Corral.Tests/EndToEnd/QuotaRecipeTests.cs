using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>Seed 003's "Testing Quotas" recipe, against the running system (SERVICE_EXAMPLE_RUNS_PER_USER=5).</summary>
[Collection(SystemCollection.Name)]
public sealed class QuotaRecipeTests(CorralSystem system)
{
    [Fact]
    public async Task TenUploads_FiveLeaveQueued_FiveWait_AndTheOldestWaitingIsAdmittedWhenOneFinishes()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        using var bob = system.Client(await system.CreateUserAsync("bob"));
        // Alice's first job finishes at once, so a slot frees while the others still hold theirs.
        var aliceJobs = new List<string> { await UploadAsync(alice, "echo quick") };
        for (var i = 1; i < 10; i++)
        {
            aliceJobs.Add(await UploadAsync(alice, "sleep 30\necho \"Job complete\" > output.txt"));
        }

        var bobJobs = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            bobJobs.Add(await UploadAsync(bob, "sleep 30"));
        }

        // Bob's jobs are not queued behind Alice's: his quota is his own.
        foreach (var id in bobJobs)
        {
            Assert.NotEqual("queued", Jobs.Status((await bob.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}"))!));
        }

        await CorralSystem.Terminal(system, alice, aliceJobs[0]);
        // The sixth (the oldest waiting) takes the freed slot; the last four keep waiting, in order.
        await system.WaitForJobAsync(alice, aliceJobs[5], j => Jobs.Status(j) != "queued", TimeSpan.FromSeconds(30));
        var views = await Task.WhenAll(aliceJobs.Select(id => alice.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}")));
        Assert.Equal([1, 2, 3, 4], views[6..].Select(v => v!["queuePosition"]!.GetValue<int>()));
        Assert.All(views[1..6], v => Assert.NotEqual("queued", Jobs.Status(v!)));
        var quota = (await alice.GetFromJsonAsync<JsonArray>("/api/quotas"))!.Single(q => q!["service"]!.GetValue<string>() == "example")!;
        Assert.Equal((5, 5, 4), (quota["limit"]!.GetValue<int>(), quota["running"]!.GetValue<int>(), quota["queued"]!.GetValue<int>()));

        // Cancelling frees every slot: nothing is left holding one.
        foreach (var id in aliceJobs.Concat(bobJobs))
        {
            var owner = bobJobs.Contains(id) ? bob : alice;
            (await owner.PostAsync($"/api/jobs/{id}/cancel", null)).EnsureSuccessStatusCode();
        }

        var after = (await alice.GetFromJsonAsync<JsonArray>("/api/quotas"))!.Single(q => q!["service"]!.GetValue<string>() == "example")!;
        Assert.Equal((0, 0), (after["running"]!.GetValue<int>(), after["queued"]!.GetValue<int>()));
    }

    private static async Task<string> UploadAsync(HttpClient client, string script)
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes("#!/bin/bash\n" + script + "\n")), "file", "run.sh" },
            { new StringContent("example"), "service" },
        };
        var response = await client.PostAsync("/upload", form);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    }
}
