using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Corral.Tests.EndToEnd;
using Xunit;
using Xunit.Abstractions;

namespace Corral.Tests.Files;

/// <summary>
/// Job files through the real system: inputs uploaded with POST /api/jobs (multipart) are in the job's working
/// directory byte for byte, its results download one by one and as a ZIP; bad names and oversized uploads are
/// refused with nothing kept, and the gateway's memory does not follow the upload's size.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class JobFilesEndToEndTests(CorralSystem system, ITestOutputHelper output)
{
    private const long MegaByte = 1024 * 1024;

    // Needs the host agent's half (inputs into /work, results collected when the job ends).
    [Fact]
    public async Task Inputs_AreInTheWorkingDirectory_ByteForByte_AndTheResultsDownload_OneByOne_AndAsAZip()
    {
        using var alice = LongClient(await system.CreateUserAsync("files"));
        const long bigLength = 300 * MegaByte;
        var small = FileStoreDatabase.Bytes(70_000, 17);
        var bigHash = Convert.ToHexStringLower(await SHA256.HashDataAsync(new PatternStream(bigLength, 42)));
        var script = "cd /work && sha256sum big.bin data/deep/small.bin > sums.txt && mkdir -p out && cp data/deep/small.bin out/copy.bin";
        using var form = FileUploads.JobForm(
            EndToEnd.Jobs.Shell(script, service: "files", memory: "128Mi"),
            ("big.bin", new StreamContent(new PatternStream(bigLength, 42))),
            ("data/deep/small.bin", FileUploads.Bytes(small)));

        var response = await alice.PostAsync("/api/jobs", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        var done = await system.WaitForJobAsync(alice, id, j => j["finishedAt"] is not null, TimeSpan.FromMinutes(5));

        Assert.Equal("succeeded", EndToEnd.Jobs.Status(done));
        Assert.True(done["files"]!["available"]!.GetValue<bool>(), done.ToJsonString());
        var sums = await alice.GetStringAsync($"/api/jobs/{id}/files/sums.txt");
        Assert.Contains($"{bigHash}  big.bin", sums);
        Assert.Contains($"{Convert.ToHexStringLower(SHA256.HashData(small))}  data/deep/small.bin", sums);
        var listing = (await alice.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}/files"))!;
        var files = listing["items"]!.AsArray().ToDictionary(f => f!["path"]!.GetValue<string>(), f => f!["size"]!.GetValue<long>());
        Assert.Equal(small.Length, files["out/copy.bin"]);
        Assert.Equal(small, await alice.GetByteArrayAsync($"/api/jobs/{id}/files/out/copy.bin"));

        using var zip = new ZipArchive(await alice.GetStreamAsync($"/api/jobs/{id}/download"), ZipArchiveMode.Read);
        var entries = zip.Entries.ToDictionary(e => e.FullName);
        Assert.Contains("sums.txt", entries.Keys);
        using var copy = new MemoryStream();
        await using (var entry = entries["out/copy.bin"].Open())
        {
            await entry.CopyToAsync(copy);
        }

        Assert.Equal(small, copy.ToArray());
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b.txt")]
    [InlineData("./a.txt")]
    [InlineData("dir/../../b.txt")]
    [InlineData("a\\b.txt")]
    public async Task ABadPath_IsRefusedByName_AndNothingOfTheUploadIsStored(string path)
    {
        using var alice = system.Client(await system.CreateUserAsync("files"));
        var good = $"good-{Guid.NewGuid():N}.txt";
        using var form = FileUploads.JobForm(
            EndToEnd.Jobs.Shell("true", service: "files"), (good, FileUploads.Text("fine")), (path, FileUploads.Text("bad")));

        var response = await alice.PostAsync("/api/jobs", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(problem["errors"]!.AsObject().ContainsKey("file"), problem.ToJsonString());
        Assert.Equal(0, await FileUploads.StoredInputsAsync(system.ConnectionString, good));
        Assert.Empty((await alice.GetFromJsonAsync<JsonObject>("/api/jobs"))!["items"]!.AsArray());
    }

    [Theory]
    [InlineData("same.txt", "same.txt")]
    [InlineData("dir", "dir/inside.txt")]
    public async Task APathSentTwice_OrAsFileAndFolder_IsRefused_AndNothingIsStored(string first, string second)
    {
        using var alice = system.Client(await system.CreateUserAsync("files"));
        var good = $"good-{Guid.NewGuid():N}.txt";
        using var form = FileUploads.JobForm(EndToEnd.Jobs.Shell("true", service: "files"),
            (good, FileUploads.Text("a")), (first, FileUploads.Text("b")), (second, FileUploads.Text("c")));

        var response = await alice.PostAsync("/api/jobs", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(second, await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await FileUploads.StoredInputsAsync(system.ConnectionString, good));
    }

    [Fact]
    public async Task TheSpecPart_IsValidatedAsTheJsonBodyIs_AndIsRequired()
    {
        using var alice = system.Client(await system.CreateUserAsync("files"));
        var good = $"good-{Guid.NewGuid():N}.txt";

        using var badSpec = FileUploads.JobForm(new { service = "files", command = new[] { "true" }, resources = new { cpu = "lots" } },
            (good, FileUploads.Text("a")));
        var bad = await alice.PostAsync("/api/jobs", badSpec);
        using var noSpec = new MultipartFormDataContent { { FileUploads.Text("a"), "file", good } };
        var missing = await alice.PostAsync("/api/jobs", noSpec);

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True((await bad.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().ContainsKey("resources.cpu"));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.True((await missing.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().ContainsKey("spec"));
        Assert.Equal(0, await FileUploads.StoredInputsAsync(system.ConnectionString, good));
    }

    [Fact]
    public async Task AJsonSpecWithoutFiles_StillWorks_AndAMultipartJobIsAcceptedWithItsId()
    {
        using var alice = system.Client(await system.CreateUserAsync("files"));
        var path = $"in-{Guid.NewGuid():N}.txt";
        using var form = FileUploads.JobForm(EndToEnd.Jobs.Shell("sleep 30", service: "files"), (path, FileUploads.Text("hello")));

        var response = await alice.PostAsync("/api/jobs", form);
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, (await FileUploads.StoredInputsAsync(system.ConnectionString, path)) / 2);
        var view = (await alice.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}"))!;
        Assert.False(view["files"]!["available"]!.GetValue<bool>());
        var list = (await alice.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}/files"))!;
        Assert.Empty(list["items"]!.AsArray());
        Assert.Contains("no results yet", list["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Accepted, (await alice.PostAsJsonAsync("/api/jobs", EndToEnd.Jobs.Shell("true", service: "files"))).StatusCode);

        using var bob = system.Client(await system.CreateUserAsync("files"));
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/jobs/{id}/files")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/jobs/{id}/download")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/jobs/{id}/files/{path}")).StatusCode);
        await alice.PostAsync($"/api/jobs/{id}/cancel", null);
    }

    [Fact]
    public async Task AnUploadDeclaredOverTheLimit_IsRefusedBeforeItIsRead_NamingTheLimit_WithTheGatewaysMemoryFlat()
    {
        using var alice = LongClient(await system.CreateUserAsync("files"));
        alice.DefaultRequestHeaders.ExpectContinue = true;
        var path = $"huge-{Guid.NewGuid():N}.bin";
        using var form = FileUploads.JobForm(EndToEnd.Jobs.Shell("true", service: "files"), (path, new StreamContent(new PatternStream(1024 * MegaByte, 7))));
        Assert.NotNull(form.Headers.ContentLength);
        var before = FileUploads.ResidentBytes(system.Gateway.Id);

        var response = await alice.PostAsync("/api/jobs", form);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("JOB_FILES_MAX_BYTES", await response.Content.ReadAsStringAsync());
        var after = FileUploads.ResidentBytes(system.Gateway.Id);
        output.WriteLine($"gateway RSS before {before / MegaByte} MiB, after {after / MegaByte} MiB");
        Assert.True(after - before < 64 * MegaByte);
        Assert.Equal(0, await FileUploads.StoredInputsAsync(system.ConnectionString, path));
    }

    [Fact]
    public async Task AStreamedUploadOverTheLimit_IsRefusedWhereItPassesIt_NothingKept_WithTheGatewaysMemoryFlat()
    {
        using var alice = LongClient(await system.CreateUserAsync("files"));
        var path = $"huge-{Guid.NewGuid():N}.bin";
        // No length declared: the gateway finds the limit while it stores the file.
        var huge = new PatternStream(1024 * MegaByte, 8, seekable: false);
        using var form = FileUploads.JobForm(EndToEnd.Jobs.Shell("true", service: "files"), (path, new StreamContent(huge)));
        var before = FileUploads.ResidentBytes(system.Gateway.Id);
        long peak = before;
        using var watching = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                peak = Math.Max(peak, FileUploads.ResidentBytes(system.Gateway.Id));
                await Task.Delay(50);
            }
        });

        HttpResponseMessage? response = null;
        try
        {
            response = await alice.PostAsync("/api/jobs", form);
        }
        catch (HttpRequestException)
        {
            // The gateway may answer and close while the client is still sending: the refusal is then a reset.
        }

        await watching.CancelAsync();
        await watcher;
        if (response is not null)
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Contains("JOB_FILES_MAX_BYTES", await response.Content.ReadAsStringAsync());
        }

        output.WriteLine($"sent {huge.Position / MegaByte} MiB; gateway RSS before {before / MegaByte} MiB, peak while uploading {peak / MegaByte} MiB, answer {response?.StatusCode}");
        // The gateway read up to the limit (400 MB) before refusing, not less: it was refused where it passed it.
        Assert.True(huge.Position > 400_000_000, $"only {huge.Position} bytes were sent");
        // 400 MB went through the gateway into the database before the limit was passed; its memory grew by far less.
        Assert.True(peak - before < 128 * MegaByte, $"the gateway grew by {(peak - before) / MegaByte} MiB");
        Assert.Equal(0, await FileUploads.StoredInputsAsync(system.ConnectionString, path));
        Assert.Empty((await alice.GetFromJsonAsync<JsonObject>("/api/jobs"))!["items"]!.AsArray());
    }

    private HttpClient LongClient(string token)
    {
        var client = system.Client(token);
        client.Timeout = TimeSpan.FromMinutes(5);
        return client;
    }
}
