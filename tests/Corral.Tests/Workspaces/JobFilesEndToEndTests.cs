using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Corral.Files;
using Corral.Tests.EndToEnd;
using Npgsql;
using Xunit;

namespace Corral.Tests.Workspaces;

/// <summary>
/// Job files on the real system: inputs put in the store under the job's id (known in advance from the
/// Idempotency-Key) before the job is submitted, seen by the job in /work byte for byte, and the directory collected
/// as results from the store whatever ended the job.
/// </summary>
[Collection(WorkspaceCollection.Name)]
public sealed class JobFilesEndToEndTests(WorkspaceSystem system) : IAsyncLifetime
{
    private NpgsqlDataSource _database = null!;
    private PostgresJobFileStore _store = null!;

    public Task InitializeAsync()
    {
        _database = NpgsqlDataSource.Create(system.ConnectionString);
        _store = new PostgresJobFileStore(_database);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task TheJobSeesItsInputsByteForByte_InWork_AndWhatItWritesIsCollectedAfterSuccess()
    {
        var (user, client) = await UserAsync();
        var key = Guid.NewGuid().ToString("N");
        var id = JobIdFor(user, key);
        var binary = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var big = new byte[3_000_000];
        new Random(3).NextBytes(big);
        var inputs = new Dictionary<string, byte[]>
        {
            ["hello.txt"] = "hello\n"u8.ToArray(),
            ["data/all-bytes.bin"] = binary,
            ["data/nested/deep/big.bin"] = big,
        };
        foreach (var (path, content) in inputs)
        {
            await _store.SaveAsync(id, JobFileSet.Inputs, path, new MemoryStream(content), long.MaxValue, CancellationToken.None);
        }

        var submitted = await SubmitAsync(client, key, EndToEnd.Jobs.Shell(
            "pwd; stat -c '%u' .; sha256sum hello.txt data/all-bytes.bin data/nested/deep/big.bin; " +
            "echo result > out.txt; mkdir -p sub/dir; cp data/all-bytes.bin sub/dir/copy.bin"));
        Assert.Equal(id, submitted);

        var done = await CorralSystem.Terminal(system, client, id);
        Assert.Equal("succeeded", EndToEnd.Jobs.Status(done));
        var logs = (await client.GetStringAsync($"/api/jobs/{id}/logs")).Split('\n');
        Assert.Equal("/work", logs[0]);
        Assert.Equal("1000", logs[1]);
        foreach (var (path, content) in inputs)
        {
            Assert.Contains($"{Convert.ToHexStringLower(SHA256.HashData(content))}  {path}", logs);
        }

        var results = await ResultsAsync(id);
        Assert.Equal(["data/all-bytes.bin", "data/nested/deep/big.bin", "hello.txt", "out.txt", "sub/dir/copy.bin"], results.Keys);
        Assert.Equal("result\n", Encoding.UTF8.GetString(results["out.txt"]));
        Assert.Equal(binary, results["sub/dir/copy.bin"]);
        Assert.Equal(big, results["data/nested/deep/big.bin"]);
        await WaitUntilGoneAsync(Path.Combine(system.WorkFolder, id));
    }

    [Fact]
    public async Task AJobWithoutInputs_StartsInAnEmptyWorkDirectory()
    {
        var (_, client) = await UserAsync();
        var id = await EndToEnd.Jobs.SubmitAsync(client, EndToEnd.Jobs.Shell("ls -A | wc -l; touch made-here"));

        var done = await CorralSystem.Terminal(system, client, id);

        Assert.Equal("succeeded", EndToEnd.Jobs.Status(done));
        Assert.Equal("0\n", await client.GetStringAsync($"/api/jobs/{id}/logs"));
        Assert.True((await ResultsAsync(id)).Count > 0, system.Diagnostics());
        Assert.Equal(["made-here"], (await ResultsAsync(id)).Keys);
    }

    [Fact]
    public async Task ResultsAreCollected_AfterAFailure()
    {
        var (_, client) = await UserAsync();
        var id = await EndToEnd.Jobs.SubmitAsync(client, EndToEnd.Jobs.Shell("echo partial > failed.txt; exit 3"));

        var done = await CorralSystem.Terminal(system, client, id);

        Assert.Equal(("failed", "exit_code", 3), (EndToEnd.Jobs.Status(done), EndToEnd.Jobs.Reason(done), done["exitCode"]!.GetValue<int>()));
        Assert.True((await ResultsAsync(id)).Count > 0, system.Diagnostics());
        Assert.Equal("partial\n", Encoding.UTF8.GetString((await ResultsAsync(id))["failed.txt"]));
    }

    [Fact]
    public async Task ResultsAreCollected_AfterACancel()
    {
        var (_, client) = await UserAsync();
        var id = await EndToEnd.Jobs.SubmitAsync(client, EndToEnd.Jobs.Shell("echo before-cancel > c.txt; sleep 600"));
        // The directory is on the host while it runs, and the job has written its file.
        await WaitUntilAsync(() => File.Exists(Path.Combine(system.WorkFolder, id, "c.txt")));

        (await client.PostAsync($"/api/jobs/{id}/cancel", null)).EnsureSuccessStatusCode();
        var done = await CorralSystem.Terminal(system, client, id);

        Assert.Equal(("cancelled", "cancelled_by_user"), (EndToEnd.Jobs.Status(done), EndToEnd.Jobs.Reason(done)));
        // A cancel ends the job in the cluster at once (JobGrain.CancelAsync); the agent collects once the container
        // has stopped, so the results follow shortly after the end rather than before it.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        SortedDictionary<string, byte[]> results;
        while (!(results = await ResultsAsync(id)).ContainsKey("c.txt") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Equal("before-cancel\n", Encoding.UTF8.GetString(results["c.txt"]));
        await WaitUntilGoneAsync(Path.Combine(system.WorkFolder, id));
    }

    [Fact]
    public async Task ResultsAreCollected_AfterAnOutOfMemoryKill()
    {
        var (_, client) = await UserAsync();
        var id = await EndToEnd.Jobs.SubmitAsync(client, EndToEnd.Jobs.Shell("echo before-oom > o.txt; x=a; while true; do x=$x$x; done", memory: "16Mi"));

        var done = await CorralSystem.Terminal(system, client, id);

        Assert.Equal(("failed", "out_of_memory"), (EndToEnd.Jobs.Status(done), EndToEnd.Jobs.Reason(done)));
        Assert.Equal("before-oom\n", Encoding.UTF8.GetString((await ResultsAsync(id))["o.txt"]));
    }

    [Fact]
    public async Task ResultsAreCollected_AfterALogQuotaKill()
    {
        var (_, client) = await UserAsync();
        // The system's hourly log quota is 20,000 bytes: `yes` passes it within a moment.
        var id = await EndToEnd.Jobs.SubmitAsync(client, EndToEnd.Jobs.Shell("echo before-quota > q.txt; yes 'loud line'"));

        var done = await CorralSystem.Terminal(system, client, id);

        Assert.Equal(("failed", "log_quota_exceeded"), (EndToEnd.Jobs.Status(done), EndToEnd.Jobs.Reason(done)));
        Assert.Equal("before-quota\n", Encoding.UTF8.GetString((await ResultsAsync(id))["q.txt"]));
    }

    [Fact]
    public async Task AJobWritingPastTheCap_EndsDiskQuotaExceeded_AndKeepsWhatItWrote()
    {
        var (_, client) = await UserAsync();
        // 1,000,000-byte files, a few a second: past the 6 MiB cap in about two seconds, and never ending by itself.
        var id = await EndToEnd.Jobs.SubmitAsync(client, EndToEnd.Jobs.Shell(
            "echo early > early.txt; i=0; while true; do dd if=/dev/zero of=big$i bs=1000000 count=1 2>/dev/null; i=$((i+1)); sleep 0.3; done"));

        var done = await CorralSystem.Terminal(system, client, id);

        Assert.Equal(("failed", "disk_quota_exceeded"), (EndToEnd.Jobs.Status(done), EndToEnd.Jobs.Reason(done)));
        var message = done["message"]!.GetValue<string>();
        Assert.Contains("JOB_WORK_MAX_BYTES", message, StringComparison.Ordinal);
        Assert.Contains(WorkspaceSystem.Cap.ToString(System.Globalization.CultureInfo.InvariantCulture), message, StringComparison.Ordinal);
        var results = await ResultsAsync(id);
        Assert.Equal("early\n", Encoding.UTF8.GetString(results["early.txt"]));
        Assert.True(results.Keys.Count(k => k.StartsWith("big", StringComparison.Ordinal)) >= 6, string.Join(", ", results.Keys));
    }

    [Fact]
    public async Task ALinkToAHostFile_IsNotCollectedAsItsContent()
    {
        var (_, client) = await UserAsync();
        var id = await EndToEnd.Jobs.SubmitAsync(client, EndToEnd.Jobs.Shell("ln -s /etc/passwd passwd; mkdir d; ln -s / d/root; echo real > real.txt"));

        var done = await CorralSystem.Terminal(system, client, id);

        Assert.Equal("succeeded", EndToEnd.Jobs.Status(done));
        var results = await ResultsAsync(id);
        Assert.Equal(["real.txt"], results.Keys);
        Assert.DoesNotContain(results.Values, content => Encoding.UTF8.GetString(content).Contains("root:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TmpIsASizedTmpfs_NotTheWritableLayer()
    {
        var (_, client) = await UserAsync();
        var id = await EndToEnd.Jobs.SubmitAsync(client, EndToEnd.Jobs.Shell("grep ' /tmp ' /proc/mounts | cut -d' ' -f1,3; echo x > /tmp/scratch", memory: "64Mi"));

        var done = await CorralSystem.Terminal(system, client, id);

        Assert.Equal("succeeded", EndToEnd.Jobs.Status(done));
        Assert.Equal("tmpfs tmpfs\n", await client.GetStringAsync($"/api/jobs/{id}/logs"));
        Assert.DoesNotContain("scratch", (await ResultsAsync(id)).Keys);
    }

    [Fact]
    public async Task AnAgentRestartMidJob_KeepsTheDirectory_WithoutRefillingIt()
    {
        var (user, client) = await UserAsync();
        var key = Guid.NewGuid().ToString("N");
        var id = JobIdFor(user, key);
        await _store.SaveAsync(id, JobFileSet.Inputs, "state.txt", new MemoryStream("original\n"u8.ToArray()), long.MaxValue, CancellationToken.None);
        await SubmitAsync(client, key, EndToEnd.Jobs.Shell(
            "echo changed > state.txt; while [ ! -f go ]; do sleep 0.2; done; echo after > after.txt"));
        var directory = Path.Combine(system.WorkFolder, id);
        await WaitUntilAsync(() => File.Exists(Path.Combine(directory, "state.txt")) && File.ReadAllText(Path.Combine(directory, "state.txt")) == "changed\n");

        await system.RestartHostAgentHardAsync();
        await File.WriteAllTextAsync(Path.Combine(directory, "go"), string.Empty);
        var done = await CorralSystem.Terminal(system, client, id);

        Assert.Equal("succeeded", EndToEnd.Jobs.Status(done));
        var results = await ResultsAsync(id);
        Assert.Equal("changed\n", Encoding.UTF8.GetString(results["state.txt"]));
        Assert.Equal("after\n", Encoding.UTF8.GetString(results["after.txt"]));
    }

    /// <summary>The gateway's rule for an id from an Idempotency-Key (Gateway/Jobs/JobSubmitter.cs).</summary>
    private static string JobIdFor(string user, string key) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{user}\n{key}")))[..32];

    private async Task<(string Name, HttpClient Client)> UserAsync()
    {
        var name = "files" + Guid.NewGuid().ToString("N")[..6];
        using var admin = system.Client(system.AdminToken);
        var response = await admin.PostAsJsonAsync("/api/users", new { name });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
        return (name, system.Client(token));
    }

    private static async Task<string> SubmitAsync(HttpClient client, string key, object spec)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = JsonContent.Create(spec) };
        request.Headers.Add("Idempotency-Key", key);
        var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"submit answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!["id"]!.GetValue<string>();
    }

    private async Task<SortedDictionary<string, byte[]>> ResultsAsync(string jobId)
    {
        var results = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var file in await _store.ListAsync(jobId, JobFileSet.Results, CancellationToken.None))
        {
            using var content = new MemoryStream();
            Assert.True(await _store.CopyToAsync(jobId, JobFileSet.Results, file.Path, content, CancellationToken.None));
            Assert.Equal(file.Size, content.Length);
            results[file.Path] = content.ToArray();
        }

        return results;
    }

    private static async Task WaitUntilGoneAsync(string directory) =>
        await WaitUntilAsync(() => !Directory.Exists(directory));

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 60 s");
            await Task.Delay(200);
        }
    }
}
