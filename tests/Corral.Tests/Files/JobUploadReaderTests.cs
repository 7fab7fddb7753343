using Corral.Files;
using Corral.Gateway.Files;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace Corral.Tests.Files;

/// <summary>The upload reader's limits on a real store: over the count or the bytes, nothing of the upload is kept.</summary>
public sealed class JobUploadReaderTests(FileStoreDatabase database) : IClassFixture<FileStoreDatabase>
{
    [Fact]
    public async Task OneFileOverTheCount_IsRefusedNamingTheSetting_AndNothingIsKept()
    {
        var job = FileStoreDatabase.NewJobId();
        var reader = new JobUploadReader(database.Store, new JobFileSettings(1_000_000, 2, TimeSpan.FromDays(7)));

        var form = await reader.ReadAsync(await RequestAsync(("a.txt", 10), ("b.txt", 10), ("c.txt", 10)), job, 4096, default);

        Assert.Equal((400, JobFileSettings.MaxCountVariable), (form.Problem!.Status, form.Problem.Field));
        Assert.Empty(await database.Store.ListAsync(job, JobFileSet.Inputs, default));
    }

    [Fact]
    public async Task FilesPastTheBytesInAll_AreRefusedWith413NamingTheSetting_AndNothingIsKept()
    {
        var job = FileStoreDatabase.NewJobId();
        var reader = new JobUploadReader(database.Store, new JobFileSettings(1000, 100, TimeSpan.FromDays(7)));

        // Each file is under the limit; the second passes it in all. No length declared: found while storing.
        var form = await reader.ReadAsync(await RequestAsync(("a.bin", 600), ("b.bin", 600)), job, 4096, default);

        Assert.Equal((413, JobFileSettings.MaxBytesVariable), (form.Problem!.Status, form.Problem.Field));
        Assert.Empty(await database.Store.ListAsync(job, JobFileSet.Inputs, default));
    }

    [Fact]
    public async Task UnderTheLimits_EveryFileIsStored_WithTheFormsFields()
    {
        var job = FileStoreDatabase.NewJobId();
        var reader = new JobUploadReader(database.Store, new JobFileSettings(1000, 2, TimeSpan.FromDays(7)));

        var form = await reader.ReadAsync(await RequestAsync(("a.bin", 500), ("dir/b.bin", 500)), job, 4096, default);

        Assert.Null(form.Problem);
        Assert.Equal("example", form.Fields["service"]);
        Assert.Equal([new StoredFile("a.bin", 500), new StoredFile("dir/b.bin", 500)], await database.Store.ListAsync(job, JobFileSet.Inputs, default));
    }

    private static async Task<HttpRequest> RequestAsync(params (string Path, int Bytes)[] files)
    {
        using var form = new MultipartFormDataContent { { new StringContent("example"), "service" } };
        foreach (var (path, bytes) in files)
        {
            form.Add(new ByteArrayContent(FileStoreDatabase.Bytes(bytes, bytes)), "file", path);
        }

        var context = new DefaultHttpContext();
        context.Request.ContentType = form.Headers.ContentType!.ToString();
        context.Request.Body = new MemoryStream(await form.ReadAsByteArrayAsync());
        return context.Request;
    }
}
