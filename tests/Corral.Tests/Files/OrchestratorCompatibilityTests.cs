using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Corral.Tests.EndToEnd;
using Xunit;

namespace Corral.Tests.Files;

/// <summary>
/// job-orchestrator's routes, called as its clients call them: its example scripts (cancel_job_example.sh,
/// partial_download_example.sh) replayed here call for call, with a portal's token added.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class OrchestratorCompatibilityTests(CorralSystem system)
{
    private const string LongRunningJob = """
        #!/bin/bash
        trap 'echo "$?" > .orchestrator.exit' EXIT
        echo "Starting long-running job at $(date)" > job_output.txt
        for i in $(seq 1 30); do
            echo "Progress: $i/30" >> job_output.txt
            sleep 1
        done
        echo "Job completed at $(date)" >> job_output.txt
        """;

    [Fact]
    public async Task Health_AnswersHealthy_WithoutAToken()
    {
        using var anonymous = system.Client(null);

        var body = await anonymous.GetFromJsonAsync<JsonObject>("/health");

        Assert.Equal("healthy", body!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task CancelJobExample_UploadStatusTerminate_EndsKilled()
    {
        using var portal = system.Client(await PortalTokenAsync());

        var upload = await portal.PostAsync("/upload", Form(LongRunningJob, ("user_id", "1"), ("service", "example")));
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        var accepted = (await upload.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("Queued", accepted["status"]!.GetValue<string>());
        Assert.Equal("Job successfully uploaded", accepted["message"]!.GetValue<string>());
        var id = accepted["id"]!.GetValue<string>();

        var status = (await portal.GetFromJsonAsync<JsonObject>($"/download/{id}"))!;
        Assert.Contains(status["status"]!.GetValue<string>(), new[] { "Queued", "Processing", "Submitted", "Running" });
        Assert.Equal(id, status["id"]!.GetValue<string>());

        var cancel = await portal.PostAsync($"/terminate/{id}", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("job terminated", (await cancel.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.GetValue<string>());

        using var admin = system.Client(system.AdminToken);
        var job = await CorralSystem.Terminal(system, admin, id);
        Assert.Equal("cancelled", EndToEnd.Jobs.Status(job));
        Assert.Equal("1", job["user"]!.GetValue<string>());
        Assert.Equal("Killed", (await portal.GetFromJsonAsync<JsonObject>($"/download/{id}"))!["status"]!.GetValue<string>());
    }

    // Needs the host agent's half (run.sh in /work, the live directory snapshot, results collected at the end).
    [Fact]
    public async Task PartialDownloadExample_ShowsTheLiveDirectory_ThenTheFinalZip()
    {
        using var portal = system.Client(await PortalTokenAsync());
        const string script = """
            #!/bin/bash
            trap 'echo "$?" > .orchestrator.exit' EXIT
            echo "Starting long-running job..."
            for i in $(seq 1 10); do
                echo "Step $i/10" >> progress.txt
                sleep 1
            done
            echo "Done!" >> progress.txt
            """;
        var upload = await portal.PostAsync("/upload", Form(script, ("user_id", "1"), ("service", "example")));
        var id = (await upload.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        using var admin = system.Client(system.AdminToken);
        await system.WaitForJobAsync(admin, id, j => EndToEnd.Jobs.Status(j) == "running", TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(3));

        Dictionary<string, string> partial;
        try
        {
            partial = await ZipAsync(portal, $"/download_partial/{id}");
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // The snapshot crosses the gateway and the host agent: their logs say which side failed.
            throw new InvalidOperationException($"{error.Message}\n{system.Diagnostics()}", error);
        }

        Assert.Contains("progress.txt", partial.Keys);
        Assert.StartsWith("Step 1/10", partial["progress.txt"]);

        var done = await CorralSystem.Terminal(system, admin, id);
        Assert.Equal("succeeded", EndToEnd.Jobs.Status(done));
        var final = await ZipAsync(portal, $"/download/{id}");
        Assert.EndsWith("Done!\n", final["progress.txt"]);
        Assert.Equal("0\n", final[".orchestrator.exit"]);
        Assert.Contains("run.sh", final.Keys);
    }

    // Needs the host agent's half: the seed's own test, whose output.txt nobody could fetch before.
    [Fact]
    public async Task TheSeedsScript_OutputTxt_IsInTheDownloadedZip()
    {
        using var portal = system.Client(await PortalTokenAsync());
        var upload = await portal.PostAsync("/upload", Form("#!/bin/bash\necho \"Job complete\" > output.txt\n",
            ("user_id", "2"), ("service", "example"), ("file:data/input.txt", "an input\n")));
        var id = (await upload.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        using var admin = system.Client(system.AdminToken);

        Assert.Equal("succeeded", EndToEnd.Jobs.Status(await CorralSystem.Terminal(system, admin, id)));
        var zip = await ZipAsync(portal, $"/download/{id}");
        Assert.Equal("Job complete\n", zip["output.txt"]);
        Assert.Equal("an input\n", zip["data/input.txt"]);
    }

    [Fact]
    public async Task Errors_AnswerInJobOrchestratorsShape()
    {
        using var portal = system.Client(await PortalTokenAsync());
        using var alice = system.Client(await system.CreateUserAsync("jo"));

        var invalidService = await portal.PostAsync("/upload", Form("echo hi", ("user_id", "1"), ("service", "nosuch")));
        var noScript = await portal.PostAsync("/upload", new MultipartFormDataContent
        {
            { new StringContent("1"), "user_id" }, { new StringContent("example"), "service" },
        });
        var otherUser = await alice.PostAsync("/upload", Form("echo hi", ("user_id", "1"), ("service", "example")));
        var unknown = await portal.GetAsync($"/download/{Guid.NewGuid():N}");
        var unknownTerminate = await portal.PostAsync($"/terminate/{Guid.NewGuid():N}", null);

        await AssertErrorAsync(invalidService, HttpStatusCode.BadRequest, "Invalid service");
        await AssertErrorAsync(noScript, HttpStatusCode.BadRequest, "run.sh");
        await AssertErrorAsync(otherUser, HttpStatusCode.Forbidden, "user_id");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownTerminate.StatusCode);
    }

    [Fact]
    public async Task APlainUser_MayNameItself_AndSeesOnlyItsOwnJobsHere()
    {
        var name = "jo" + Guid.NewGuid().ToString("N")[..6];
        using var admin = system.Client(system.AdminToken);
        var created = await admin.PostAsJsonAsync("/api/users", new { name });
        using var alice = system.Client((await created.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>());
        using var bob = system.Client(await system.CreateUserAsync("jo"));

        var upload = await alice.PostAsync("/upload", Form("sleep 30", ("user_id", name), ("service", "example")));
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        var id = (await upload.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/download/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.PostAsync($"/terminate/{id}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await alice.PostAsync($"/terminate/{id}", null)).StatusCode);
    }

    private async Task<string> PortalTokenAsync()
    {
        using var admin = system.Client(system.AdminToken);
        var response = await admin.PostAsJsonAsync("/api/users", new { name = "portal" + Guid.NewGuid().ToString("N")[..6], role = "portal" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
    }

    /// <summary>As curl -F file=@run.sh -F name=value; a name "file:PATH" adds another file.</summary>
    private static MultipartFormDataContent Form(string script, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(script)), "file", "run.sh" } };
        foreach (var (name, value) in fields)
        {
            if (name.StartsWith("file:", StringComparison.Ordinal))
            {
                form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(value)), "file", name["file:".Length..]);
            }
            else
            {
                form.Add(new StringContent(value), name);
            }
        }

        return form;
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string text)
    {
        Assert.Equal(status, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(0, body["id"]!.GetValue<int>());
        Assert.Equal("Unknown", body["status"]!.GetValue<string>());
        Assert.Contains(text, body["message"]!.GetValue<string>());
    }

    private static async Task<Dictionary<string, string>> ZipAsync(HttpClient client, string route)
    {
        var response = await client.GetAsync(route);
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/zip",
            $"{route} answered {(int)response.StatusCode} {response.Content.Headers.ContentType}: {await response.Content.ReadAsStringAsync()}");
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()), ZipArchiveMode.Read);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in zip.Entries)
        {
            using var reader = new StreamReader(entry.Open());
            files[entry.FullName] = await reader.ReadToEndAsync();
        }

        return files;
    }
}
