using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Corral.Tests.EndToEnd;
using Xunit;

namespace Corral.Tests.Cli;

/// <summary>
/// corral run --file and corral download against the running system: inputs reach the job's /work byte for byte
/// (a binary file, a renamed copy, a folder with an empty file and a name with a space), and the results come back
/// unpacked, as a ZIP and as a listing.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed partial class CliFilesEndToEndTests(CorralSystem system) : IDisposable
{
    // Hashes every file in /work (in a file outside it first, so the sums do not list themselves), prints the sums.
    private const string HashEveryFile =
        "cd /work && find . -type f | sort | while IFS= read -r f; do sha256sum \"$f\"; done > /tmp/sums && mv /tmp/sums sums.txt" +
        " && mkdir out && cat inputs/deep/b.bin data.bin > out/joined.bin && cat sums.txt";

    private readonly CorralCli _cli = new();
    private readonly string _local = Directory.CreateTempSubdirectory("corral-cli-files-").FullName;

    [Fact]
    public async Task RunWithFiles_TheJobSeesThemByteForByte_AndDownloadBringsBackEveryResult()
    {
        var user = await UserAsync("clifiles");
        // Over the progress bar's threshold, so a bar drawn on a redirected stream would show in the output.
        var binary = Bytes(6 * 1024 * 1024 + 13, 1);
        var deep = Bytes(70_001, 2);
        var sent = new Dictionary<string, byte[]>
        {
            ["data.bin"] = binary,
            ["renamed/copy.bin"] = binary,
            ["inputs/a.txt"] = "first line\nsecond line\n"u8.ToArray(),
            ["inputs/with space.txt"] = "spaced\n"u8.ToArray(),
            ["inputs/empty.txt"] = [],
            ["inputs/deep/b.bin"] = deep,
        };
        await WriteAsync("data.bin", binary);
        foreach (var (name, bytes) in sent.Where(f => f.Key.StartsWith("inputs/", StringComparison.Ordinal)))
        {
            await WriteAsync(name, bytes);
        }

        var run = await _cli.RunAsync(
            ["run", "-s", "cli", "--image", "corral/busybox:latest", "--cpu", "0.5", "--memory", "64Mi",
                "--file", Path.Combine(_local, "data.bin"), "--file", Path.Combine(_local, "inputs") + "/",
                "--file", Path.Combine(_local, "data.bin") + "=renamed/copy.bin", "--attach", "--",
                "sh", "-c", HashEveryFile],
            user, timeout: TimeSpan.FromSeconds(180));

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.Output}\n{run.Error}\n{system.Diagnostics()}");
        // Exactly the files sent, with the bytes sent: sha256sum in the job saw every one under its path.
        var expectedSums = sent.OrderBy(f => "./" + f.Key, StringComparer.Ordinal)
            .Select(f => $"{Convert.ToHexStringLower(SHA256.HashData(f.Value))}  ./{f.Key}\n");
        Assert.Equal(string.Concat(expectedSums), run.Output);
        // Redirected, the client draws no progress bar or any other terminal control.
        Assert.DoesNotContain('\u001b', run.Error);
        var id = SubmittedLine().Match(run.Error).Groups["id"].Value;
        Assert.False(string.IsNullOrEmpty(id), run.Error);

        var results = new Dictionary<string, byte[]>(sent)
        {
            ["sums.txt"] = System.Text.Encoding.UTF8.GetBytes(run.Output),
            ["out/joined.bin"] = [.. deep, .. binary],
        };

        var target = Path.Combine(_local, "results");
        var unpack = await _cli.RunAsync(["download", id, "-d", target], user);
        Assert.True(unpack.ExitCode == 0, unpack.Error);
        Assert.Contains($"Saved {results.Count} file(s) of {id}", unpack.Output);
        var unpacked = Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(target, f), File.ReadAllBytes);
        Assert.Equal(results.Keys.Order(StringComparer.Ordinal), unpacked.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, bytes) in results)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(unpacked[name]), $"{name} differs after download -d");
        }

        var zipPath = Path.Combine(_local, "results.zip");
        var zip = await _cli.RunAsync(["download", id, "--zip", zipPath], user);
        Assert.True(zip.ExitCode == 0, zip.Error);
        using (var archive = ZipFile.OpenRead(zipPath))
        {
            Assert.Equal(results.Keys.Order(StringComparer.Ordinal), archive.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
            await using var joined = archive.GetEntry("out/joined.bin")!.Open();
            using var copy = new MemoryStream();
            await joined.CopyToAsync(copy);
            Assert.Equal(results["out/joined.bin"], copy.ToArray());
        }

        var list = await _cli.RunAsync(["download", id, "--list"], user);
        Assert.True(list.ExitCode == 0, list.Error);
        Assert.Contains("PATH", list.Output);
        foreach (var (name, bytes) in results)
        {
            var row = list.Output.Split('\n').Single(line => line.TrimStart().StartsWith(name + " ", StringComparison.Ordinal));
            Assert.EndsWith(bytes.LongLength.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), row.TrimEnd());
        }

        var listJson = await _cli.RunAsync(["download", id, "--list", "-o", "json"], user);
        var items = JsonNode.Parse(listJson.Output)!["items"]!.AsArray();
        Assert.Equal(results["out/joined.bin"].LongLength, items.Single(i => i!["path"]!.GetValue<string>() == "out/joined.bin")!["size"]!.GetValue<long>());
    }

    [Fact]
    public async Task DownloadList_OfAJobStillRunning_SaysThereAreNoResultsYet_AndAnUnknownJobIsAnError()
    {
        var user = await UserAsync("clifiles");
        var submit = await _cli.RunAsync(["run", "-s", "cli", "--image", "corral/busybox:latest", "--cpu", "0.25", "--memory", "64Mi", "--", "sleep", "300"], user);
        Assert.True(submit.ExitCode == 0, submit.Error);
        var id = submit.Output.Trim();

        var list = await _cli.RunAsync(["download", id, "--list"], user);
        var unknown = await _cli.RunAsync(["download", "no-such-job", "--list"], user);
        await _cli.RunAsync(["cancel", id], user);

        Assert.True(list.ExitCode == 0, list.Error);
        Assert.Equal("", list.Output);
        Assert.Contains("no results yet", list.Error);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no-such-job", unknown.Error);
    }

    [Fact]
    public async Task RunWithALargeFile_OnATerminal_DrawsAnUploadProgressBar_AndStillPrintsTheId()
    {
        var user = await UserAsync("clifiles");
        await WriteAsync("large.bin", Bytes(48 * 1024 * 1024, 3));

        var run = await _cli.RunInTerminalAsync(
            ["run", "-s", "cli", "--image", "corral/busybox:latest", "--cpu", "0.25", "--memory", "64Mi",
                "--file", Path.Combine(_local, "large.bin"), "--", "true"],
            user);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("upload", run.Output);
        Assert.Contains("%", run.Output);
        // Under the terminal controls that drew and cleared the bar, the id of the job that was made.
        var id = JobId().Match(TerminalControls().Replace(run.Output, "")).Value;
        using var client = system.Client(user["CORRAL_TOKEN"]);
        Assert.True((await client.GetAsync($"/api/jobs/{id}")).IsSuccessStatusCode, run.Output);
    }

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_local, recursive: true);
    }

    private async Task WriteAsync(string name, byte[] bytes)
    {
        var path = Path.Combine(_local, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, bytes);
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private async Task<Dictionary<string, string>> UserAsync(string prefix) => new()
    {
        ["CORRAL_URL"] = system.BaseAddress.ToString(),
        ["CORRAL_TOKEN"] = await system.CreateUserAsync(prefix),
    };

    [GeneratedRegex(@"^(?<id>\S+): submitted", RegexOptions.Multiline)]
    private static partial Regex SubmittedLine();

    [GeneratedRegex("[0-9a-f]{32}")]
    private static partial Regex JobId();

    [GeneratedRegex(@"\u001b(\[[0-9;?]*[ -/]*[@-~]|[=>]|\][^\u0007]*\u0007)")]
    private static partial Regex TerminalControls();
}
