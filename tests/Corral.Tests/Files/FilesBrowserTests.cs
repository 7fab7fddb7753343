using Corral.Tests.EndToEnd;
using Microsoft.Playwright;
using Xunit;

namespace Corral.Tests.Files;

/// <summary>The web page's files: the submit form takes input files, the job page lists the results with links.</summary>
[Collection(SystemCollection.Name)]
public sealed class FilesBrowserTests(CorralSystem system, BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private IBrowserContext _context = null!;

    public async Task InitializeAsync() => _context = await browser.Browser.NewContextAsync(new() { BaseURL = system.BaseAddress.ToString() });

    public Task DisposeAsync() => _context.DisposeAsync().AsTask();

    // Needs the host agent's half: the input in /work, the results collected when the job ends.
    [Fact]
    public async Task SubmitWithAnInputFile_TheJobPageListsItsResults_AndDownloadsOne()
    {
        var token = await system.CreateUserAsync("webfiles");
        var page = await _context.NewPageAsync();
        await page.GotoAsync("/");
        await page.FillAsync("#token", token);
        await page.ClickAsync("#sign-in-form button");
        await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("live", new() { Timeout = 60_000 });

        await page.FillAsync("#submit-form [name=command]", "cd /work && tr a-z A-Z < in.txt > shout.txt");
        await page.SetInputFilesAsync("#submit-form [name=inputs]", new FilePayload
        {
            Name = "in.txt", MimeType = "text/plain", Buffer = "hello files\n"u8.ToArray(),
        });
        await page.ClickAsync("#submit-form button[type=submit]");

        await Assertions.Expect(page.Locator("dd[data-fact=status]")).ToHaveTextAsync("succeeded", new() { Timeout = 90_000 });
        var row = page.Locator("#files tr[data-path='shout.txt']");
        await Assertions.Expect(row).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#files tr[data-path='in.txt']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#files-zip")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotFolder, "job-files.png") });

        var download = await page.RunAndWaitForDownloadAsync(() => row.Locator("a").ClickAsync());
        Assert.Equal("shout.txt", download.SuggestedFilename);
        Assert.Equal("HELLO FILES\n", await File.ReadAllTextAsync((await download.PathAsync())!));
    }
}
