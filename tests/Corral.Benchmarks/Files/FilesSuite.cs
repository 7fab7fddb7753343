using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Corral.Benchmarks.Live;

namespace Corral.Benchmarks.Files;

/// <summary>
/// Job files through the real processes: 256 MiB in four files uploaded with a multipart <c>POST /api/jobs</c>, the
/// job's results (the same files, plus the sums the job wrote) downloaded as a ZIP and one file, each in MiB/s and as
/// a ratio to <c>cp</c> of the same bytes measured in the same run; and the gateway's peak memory while uploading,
/// which stays flat because uploads are streamed into PostgreSQL.
/// </summary>
public sealed class FilesSuite : IBenchmarkSuite
{
    private const int FileCount = 4;
    private const int FileBytes = 64 * 1024 * 1024;
    private const int Runs = 5;
    private const double MiB = 1024 * 1024;

    public string Name => "files";

    public string Description => "upload and download MB/s of 256 MiB of job files through the gateway against cp, and the gateway's memory meanwhile";

    public async Task RunAsync(BenchmarkReport report, CancellationToken cancellationToken)
    {
        using var inputs = await InputFiles.CreateAsync(FileCount, FileBytes, cancellationToken);
        var mib = inputs.TotalBytes / MiB;
        report.Figure("files.bytes_mib", mib);
        var cp = await CopyBaseline.MedianSecondsAsync(inputs, fsync: false, Runs, cancellationToken);
        var cpFsync = await CopyBaseline.MedianSecondsAsync(inputs, fsync: true, Runs, cancellationToken);
        report.Figure("files.cp_mib_per_s", mib / cp);
        report.Figure("files.cp_fsync_mib_per_s", mib / cpFsync);

        await using var database = await BenchmarkDatabase.CreateAsync("files");
        // One run at a time per user in "held": the timed uploads' jobs stay queued behind a sleeping job, so no
        // host agent fills or collects a working directory while an upload is timed.
        await using var system = await LiveProcesses.StartAsync(database, new Dictionary<string, string> { ["SERVICE_HELD_RUNS_PER_USER"] = "1" });
        using var http = system.Client(await system.CreateUserAsync("filer"));
        http.Timeout = TimeSpan.FromMinutes(10);
        var gateway = system.ProcessId("Gateway");

        // The first upload warms the gateway and is the job whose results are downloaded: it hashes its inputs.
        var firstBefore = PeakRss.Bytes(gateway);
        var firstPeak = PeakRss.Start(gateway);
        var (id, firstSeconds) = await UploadAsync(http, Job("files", "cd /work && sha256sum part-*.bin > sums.txt"), inputs, cancellationToken);
        report.Figure("files.upload_first_mib_per_s", mib / firstSeconds);
        report.Figure("files.gateway_rss_growth_first_upload_mib", (await firstPeak.StopAsync() - firstBefore) / MiB);
        var ran = Stopwatch.GetTimestamp();
        var done = await WaitForEndAsync(http, id, cancellationToken);
        report.Figure("files.job_fill_run_collect_s", Stopwatch.GetElapsedTime(ran).TotalSeconds);
        report.Note($"job {id} ended {done["status"]}, results {done["files"]?.ToJsonString()}");
        var sums = await http.GetStringAsync($"/api/jobs/{id}/files/sums.txt", cancellationToken);
        report.Figure("files.job_inputs_intact", inputs.Names.All(n => sums.Contains($"{inputs.Hashes[n]}  {n}", StringComparison.Ordinal)) ? 1 : 0);

        await UploadTimedAsync(report, system, http, inputs, cp, cpFsync, cancellationToken);
        await DownloadTimedAsync(report, http, gateway, id, inputs, cp, cancellationToken);
    }

    /// <summary><see cref="Runs"/> uploads whose jobs stay queued; the median rate, and the gateway's memory over all of them.</summary>
    private static async Task UploadTimedAsync(
        BenchmarkReport report, LiveProcesses system, HttpClient http, InputFiles inputs, double cp, double cpFsync, CancellationToken cancellationToken)
    {
        var holder = await http.PostAsJsonAsync("/api/jobs", Job("held", "sleep 600"), cancellationToken);
        holder.EnsureSuccessStatusCode();
        var gateway = system.ProcessId("Gateway");
        var before = PeakRss.Bytes(gateway);
        var peak = PeakRss.Start(gateway);
        var seconds = new List<double>();
        for (var i = 0; i < Runs; i++)
        {
            seconds.Add((await UploadAsync(http, Job("held", "true"), inputs, cancellationToken)).Seconds);
        }

        var peakBytes = await peak.StopAsync();
        seconds.Sort();
        var median = seconds[Runs / 2];
        var mib = inputs.TotalBytes / MiB;
        report.Figure("files.upload_mib_per_s", mib / median);
        report.Ratio("files.upload_vs_cp", cp, median);
        report.Ratio("files.upload_vs_cp_fsync", cpFsync, median);
        report.Figure("files.gateway_rss_before_upload_mib", before / MiB);
        report.Figure("files.gateway_rss_peak_upload_mib", peakBytes / MiB);
        report.Figure("files.gateway_rss_growth_upload_mib", (peakBytes - before) / MiB);
    }

    /// <summary>The finished job's results: the ZIP (GET /download) and one file (GET /files/{path}), each written to disk.</summary>
    private static async Task DownloadTimedAsync(
        BenchmarkReport report, HttpClient http, int gateway, string id, InputFiles inputs, double cp, CancellationToken cancellationToken)
    {
        var target = Path.Combine(inputs.Folder, "downloaded");
        var peak = PeakRss.Start(gateway);
        var zip = await MedianDownloadAsync(http, $"/api/jobs/{id}/download", target, cancellationToken);
        var zipBytes = new FileInfo(target).Length;
        var file = await MedianDownloadAsync(http, $"/api/jobs/{id}/files/{inputs.Names[0]}", target, cancellationToken);
        var peakBytes = await peak.StopAsync();

        // The ZIP holds every result: the inputs and the job's sums.txt (a few hundred bytes).
        var mib = inputs.TotalBytes / MiB;
        report.Figure("files.download_zip_mib", zipBytes / MiB);
        report.Figure("files.download_zip_mib_per_s", mib / zip);
        report.Ratio("files.download_zip_vs_cp", cp, zip);
        var fileMib = FileBytes / MiB;
        var cpOneFile = cp / FileCount;
        report.Figure("files.download_file_mib_per_s", fileMib / file);
        report.Ratio("files.download_file_vs_cp", cpOneFile, file);
        await using (var downloaded = File.OpenRead(target))
        {
            var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(downloaded, cancellationToken));
            report.Figure("files.download_file_intact", hash == inputs.Hashes[inputs.Names[0]] ? 1 : 0);
        }

        report.Figure("files.gateway_rss_peak_download_mib", peakBytes / MiB);
    }

    /// <summary>Median seconds of <see cref="Runs"/> downloads of <paramref name="path"/> into <paramref name="target"/>.</summary>
    private static async Task<double> MedianDownloadAsync(HttpClient http, string path, string target, CancellationToken cancellationToken)
    {
        var seconds = new List<double>();
        for (var i = 0; i < Runs; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using (var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken))
            {
                response.EnsureSuccessStatusCode();
                await using var file = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true);
                await response.Content.CopyToAsync(file, cancellationToken);
            }

            seconds.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }

        seconds.Sort();
        return seconds[Runs / 2];
    }

    /// <summary>One multipart POST /api/jobs of every input, read from disk as curl -F or the CLI sends it; seconds until the 202.</summary>
    private static async Task<(string Id, double Seconds)> UploadAsync(HttpClient http, object spec, InputFiles inputs, CancellationToken cancellationToken)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent(JsonSerializer.Serialize(spec), Encoding.UTF8, "application/json"), "spec" },
        };
        foreach (var name in inputs.Names)
        {
            var part = new StreamContent(new FileStream(inputs.PathOf(name), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan), 1 << 18);
            part.Headers.ContentType = new("application/octet-stream");
            form.Add(part, "file", name);
        }

        var started = Stopwatch.GetTimestamp();
        using var response = await http.PostAsync("/api/jobs", form, cancellationToken);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"upload answered {(int)response.StatusCode}: {body}");
        }

        return (JsonNode.Parse(body)!["id"]!.GetValue<string>(), seconds);
    }

    /// <summary>Polls the job until it has ended and its results are stored (at most five minutes).</summary>
    private static async Task<JsonObject> WaitForEndAsync(HttpClient http, string id, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (DateTime.UtcNow < deadline)
        {
            var job = (await http.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}", cancellationToken))!;
            if (job["finishedAt"] is not null && job["files"]?["available"]?.GetValue<bool>() == true)
            {
                return job;
            }

            await Task.Delay(250, cancellationToken);
        }

        throw new TimeoutException($"job {id} did not end with results within five minutes");
    }

    private static object Job(string service, string script) => new
    {
        service,
        command = new[] { "sh", "-c", script },
        resources = new { cpu = 1, memory = "64Mi" },
    };
}
