using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Corral.Files;
using Corral.Gateway.Files;
using Corral.Tests.EndToEnd;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Xunit;

namespace Corral.Tests.Files;

/// <summary>
/// The results API of the real gateway over result files stored as the host agent stores them (written here into
/// the system's database, so the gateway's half is checked on its own): list, one file, the ZIP, job-orchestrator's
/// /download, a name that would leave the folder kept out of the ZIP, and the retention sweep clearing them.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class JobResultsApiTests(CorralSystem system)
{
    [Fact]
    public async Task AFinishedJobsResults_List_DownloadOneByOne_AndAsAZip_ThenRetentionRemovesThem()
    {
        using var alice = system.Client(await system.CreateUserAsync("results"));
        var id = await EndToEnd.Jobs.SubmitAsync(alice, EndToEnd.Jobs.Shell("true", service: "results"));
        await CorralSystem.Terminal(system, alice, id);
        var binary = FileStoreDatabase.Bytes(PostgresJobFileStore.ChunkBytes + 5, 11);
        await using var database = NpgsqlDataSource.Create(system.ConnectionString);
        var store = new PostgresJobFileStore(database);
        await store.SaveAsync(id, JobFileSet.Results, "output.txt", new MemoryStream("Job complete\n"u8.ToArray()), long.MaxValue, default);
        await store.SaveAsync(id, JobFileSet.Results, "out/data.bin", new MemoryStream(binary), long.MaxValue, default);
        // A name no upload could give, as if written by something else: never offered for download.
        await store.SaveAsync(id, JobFileSet.Results, "../evil.sh", new MemoryStream("rm -rf ~\n"u8.ToArray()), long.MaxValue, default);

        var view = (await alice.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}"))!;
        Assert.True(view["files"]!["available"]!.GetValue<bool>());
        Assert.Equal(3, view["files"]!["count"]!.GetValue<int>());
        var list = (await alice.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}/files"))!;
        var sizes = list["items"]!.AsArray().ToDictionary(f => f!["path"]!.GetValue<string>(), f => f!["size"]!.GetValue<long>());
        Assert.Equal(binary.Length, sizes["out/data.bin"]);
        Assert.Equal(13, sizes["output.txt"]);

        var one = await alice.GetAsync($"/api/jobs/{id}/files/out/data.bin");
        Assert.Equal("application/octet-stream", one.Content.Headers.ContentType?.MediaType);
        Assert.Equal("data.bin", one.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Equal(binary, await one.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync($"/api/jobs/{id}/files/..%2Fevil.sh")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync($"/api/jobs/{id}/files/nothing.txt")).StatusCode);

        foreach (var route in new[] { $"/api/jobs/{id}/download", $"/download/{id}" })
        {
            var response = await alice.GetAsync(route);
            Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
            using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()), ZipArchiveMode.Read);
            Assert.Equal(["out/data.bin", "output.txt"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
            using var read = new MemoryStream();
            await using (var entry = zip.GetEntry("out/data.bin")!.Open())
            {
                await entry.CopyToAsync(read);
            }

            Assert.Equal(binary, read.ToArray());
        }

        using var bob = system.Client(await system.CreateUserAsync("results"));
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/jobs/{id}/files/output.txt")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/download/{id}")).StatusCode);

        // The sweep, with its clock eight days on: the job ended longer ago than the retention (7 days).
        var sweep = new JobFilesRetentionSweep(new PostgresJobFileRetention(database),
            new JobFileSettings(JobFileSettings.DefaultMaxBytes, JobFileSettings.DefaultMaxCount, JobFileSettings.DefaultRetention),
            new FakeTimeProvider(DateTimeOffset.UtcNow + TimeSpan.FromDays(8)), NullLogger<JobFilesRetentionSweep>.Instance);
        Assert.Contains(new RemovedJobFiles(id, 3, 13 + binary.Length + 9), (await sweep.SweepOnceAsync(default))!);
        Assert.Empty((await alice.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}/files"))!["items"]!.AsArray());
        Assert.Equal(0, (await alice.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}"))!["files"]!["count"]!.GetValue<int>());
    }
}
