using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Corral.Benchmarks.Live;

namespace Corral.Benchmarks.Dispatch;

/// <summary>
/// What a user waits for on an idle cluster: from <c>POST /api/jobs</c> until the job is running, through the real
/// silo, host agent and gateway processes and the real Docker engine; against <c>docker run -d</c> of the same image
/// and command, which returns once the container has started, measured in the same run and interleaved with it so
/// both see the same machine. The moment it is running is the one its history records (the silo's clock, this
/// machine's): the view is asked for only every <see cref="PollInterval"/>, since asking every 2 ms (500 requests a
/// second through the gateway and the silo) took from the cores the engine starts the container on, and made the
/// start about 280 ms slower at the median on 2 cores. When the view first said running is printed as well
/// (<c>.seen_p50</c>), late by up to one poll.
/// </summary>
public static class SubmitToRunning
{
    private const int Rounds = 30;
    private const int WarmupRounds = 3;
    private const string Image = "corral/busybox:latest";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(BenchmarkReport report, CancellationToken cancellationToken)
    {
        await using var database = await BenchmarkDatabase.CreateAsync("startup");
        await using var processes = await LiveProcesses.StartAsync(database, new Dictionary<string, string>());
        using var user = processes.Client(await processes.CreateUserAsync("starter"));
        await WaitForWorkerAsync(processes, cancellationToken);

        var corral = new List<double>();
        var seen = new List<double>();
        var docker = new List<double>();
        var phases = Phases.ToDictionary(p => p.Name, _ => new List<double>());
        for (var round = 0; round < WarmupRounds + Rounds; round++)
        {
            var (running, seenRunning, history) = await MeasureSubmitAsync(user, cancellationToken);
            var started = await MeasureDockerRunAsync(cancellationToken);
            if (round >= WarmupRounds)
            {
                corral.Add(running);
                seen.Add(seenRunning);
                docker.Add(started);
                foreach (var (name, from, to) in Phases)
                {
                    phases[name].Add((history[to] - history[from]).TotalMilliseconds);
                }
            }
        }

        // Where the time goes, from the job's own history (the silo's clock): admission, placement, the start on the host.
        foreach (var (name, times) in phases)
        {
            times.Sort();
            report.Figure($"dispatch.submit_to_running_ms.{name}.p50", Measure.Percentile(times, 0.50));
        }

        corral.Sort();
        seen.Sort();
        docker.Sort();
        report.Figure("dispatch.submit_to_running_ms.seen_p50", Measure.Percentile(seen, 0.50));
        report.Figure("dispatch.submit_to_running_ms.p50", Measure.Percentile(corral, 0.50));
        report.Figure("dispatch.submit_to_running_ms.p99", Measure.Percentile(corral, 0.99));
        report.Figure("dispatch.docker_run_ms.p50", Measure.Percentile(docker, 0.50));
        report.Figure("dispatch.docker_run_ms.p99", Measure.Percentile(docker, 0.99));
        // The target: at most 100 ms more than docker run at p50.
        report.Figure("dispatch.submit_to_running_ms.p50_over_docker_run_ms",
            Measure.Percentile(corral, 0.50) - Measure.Percentile(docker, 0.50));
    }

    private static readonly (string Name, string From, string To)[] Phases =
    [
        ("queued_to_pending", "queued", "pending"),
        ("pending_to_starting", "pending", "starting"),
        ("starting_to_running", "starting", "running"),
    ];

    /// <summary>
    /// Milliseconds from sending the submission to the moment its history says it was running, and to the first view
    /// that said so, with when the job reached each status by its history; the job is then cancelled.
    /// </summary>
    private static async Task<(double Running, double Seen, Dictionary<string, DateTimeOffset> History)> MeasureSubmitAsync(
        HttpClient user, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(RoundTimeout);
        var submittedAt = DateTimeOffset.UtcNow;
        var start = Stopwatch.GetTimestamp();
        var response = await user.PostAsJsonAsync("/api/jobs",
            new { service = "startup", image = Image, command = new[] { "sleep", "60" }, resources = new { cpu = 0.1, memory = "64Mi" } },
            deadline.Token);
        response.EnsureSuccessStatusCode();
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>(deadline.Token))!["id"]!.GetValue<string>();
        while (true)
        {
            var view = (await user.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}", deadline.Token))!;
            var status = view["status"]!.GetValue<string>();
            if (status == "running")
            {
                var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                var history = view["history"]!.AsArray().Select(step => step!.AsObject())
                    .GroupBy(step => step["status"]!.GetValue<string>())
                    .ToDictionary(steps => steps.Key, steps => steps.First()["at"]!.GetValue<DateTimeOffset>());
                (await user.PostAsync($"/api/jobs/{id}/cancel", null, deadline.Token)).EnsureSuccessStatusCode();
                await WaitUntilEndedAsync(user, id, deadline.Token);
                return ((history["running"] - submittedAt).TotalMilliseconds, elapsed, history);
            }

            if (status is "succeeded" or "failed" or "cancelled")
            {
                throw new InvalidOperationException($"job {id} ended {status} before it was seen running: {view.ToJsonString()}");
            }

            await Task.Delay(PollInterval, deadline.Token);
        }
    }

    /// <summary>Milliseconds for <c>docker run -d</c> to return (the container has started); the container is then removed.</summary>
    private static async Task<double> MeasureDockerRunAsync(CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var id = (await DockerAsync(["run", "-d", "--cpus", "0.1", "--memory", "64m", Image, "sleep", "60"], cancellationToken)).Trim();
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        await DockerAsync(["rm", "-f", id], cancellationToken);
        return elapsed;
    }

    private static async Task<string> DockerAsync(string[] arguments, CancellationToken cancellationToken)
    {
        using var process = Process.Start(new ProcessStartInfo("docker", arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"docker {string.Join(' ', arguments)} exited {process.ExitCode}: {error}");
    }

    /// <summary>
    /// Cancelled jobs free their slot once their container is gone; the next round (and the <c>docker run</c> between)
    /// starts on an idle worker, once the agent has also removed the container.
    /// </summary>
    private static async Task WaitUntilEndedAsync(HttpClient user, string id, CancellationToken cancellationToken)
    {
        while ((await user.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}", cancellationToken))!["finishedAt"] is null
            || (await DockerAsync(["ps", "-aq", "--filter", $"label=corral.job-id={id}"], cancellationToken)).Trim().Length > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
        }
    }

    private static async Task WaitForWorkerAsync(LiveProcesses processes, CancellationToken cancellationToken)
    {
        using var admin = processes.Client(processes.AdminToken);
        while ((await admin.GetFromJsonAsync<JsonArray>("/api/workers", cancellationToken))!.Count == 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }
}
