using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Corral.Benchmarks.Faults;

/// <summary>
/// A steady stream of submissions from several users to several services, each job logging numbered lines and
/// sending some egress, spread over both gateways. A submission is retried with its Idempotency-Key until accepted,
/// as a client should (after Retry-After on 503; on the other gateway when one is down). While it runs it also reads
/// the views of recent jobs and counts every counter (log bytes, egress) it sees go backwards.
/// </summary>
public sealed class SteadyLoad(FaultCluster cluster, IReadOnlyList<LoadUser> users, IReadOnlyList<string> services) : IAsyncDisposable
{
    /// <summary>Lines each job prints; its log must hold exactly these, once each, in order.</summary>
    public const int LinesPerJob = 20;

    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(45);

    // About what one 2-core host drains (about 0.4 jobs/s with 20 lines each), so a fault is checked in minutes.
    private static readonly TimeSpan SubmitEvery = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(4);

    private readonly ConcurrentBag<AcceptedJob> _accepted = [];
    private readonly ConcurrentDictionary<string, (long Log, long Egress)> _counters = new();
    private readonly List<Task> _submissions = [];
    private readonly CancellationTokenSource _stop = new();
    private long _countersBackwards;
    private long _gaveUp;
    private Task _submitter = Task.CompletedTask;
    private Task _watcher = Task.CompletedTask;

    public RequestTally Requests { get; } = new();

    public IReadOnlyCollection<AcceptedJob> Accepted => _accepted;

    /// <summary>Times a job's log bytes or egress bytes were seen lower than an earlier reading.</summary>
    public long CountersBackwards => Interlocked.Read(ref _countersBackwards);

    /// <summary>Submissions never accepted within their time (none should be).</summary>
    public long GaveUp => Interlocked.Read(ref _gaveUp);

    /// <summary>The expected log of every job: LinesPerJob numbered lines.</summary>
    public static string ExpectedLog { get; } = string.Concat(Enumerable.Range(1, LinesPerJob).Select(i => $"line {i}\n"));

    public static object Spec(string service) => new
    {
        service,
        image = "corral/busybox:latest",
        command = new[]
        {
            "sh", "-c",
            $"i=1; while [ $i -le {LinesPerJob} ]; do echo \"line $i\"; i=$((i+1)); sleep 0.1; done; " +
            "head -c 3000 /dev/zero | nc -u -w 1 192.0.2.1 9 >/dev/null 2>&1; true",
        },
        resources = new { cpu = 0.1, memory = "32Mi" },
    };

    public void Start()
    {
        _submitter = Task.Run(SubmitLoopAsync);
        _watcher = Task.Run(WatchLoopAsync);
    }

    /// <summary>Stops submitting and waits until every submission under way has been accepted or given up.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _submitter;
        await _watcher;
        Task[] pending;
        lock (_submissions)
        {
            pending = [.. _submissions];
        }

        await Task.WhenAll(pending);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }

    private async Task SubmitLoopAsync()
    {
        var turn = 0;
        while (!_stop.IsCancellationRequested)
        {
            var user = users[turn % users.Count];
            var service = services[turn / users.Count % services.Count];
            var submission = SubmitAsync(user, service, turn % FaultCluster.GatewayCount);
            lock (_submissions)
            {
                _submissions.Add(submission);
            }

            turn++;
            try
            {
                await Task.Delay(SubmitEvery, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task SubmitAsync(LoadUser user, string service, int gateway)
    {
        var key = Guid.NewGuid().ToString("N");
        var giveUp = DateTime.UtcNow + GiveUpAfter;
        while (DateTime.UtcNow < giveUp)
        {
            using var client = cluster.Client(user.Token, gateway, RequestTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = JsonContent.Create(Spec(service)) };
            request.Headers.Add("Idempotency-Key", key);
            var wait = TimeSpan.FromSeconds(1);
            try
            {
                using var response = await client.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
                    Requests.CountAccepted();
                    _accepted.Add(new AcceptedJob(id, user.Name, service));
                    return;
                }

                if (response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter?.Delta is { } after)
                {
                    Requests.CountRefused();
                    wait = after;
                }
                else
                {
                    var body = await response.Content.ReadAsStringAsync();
                    Requests.CountFailed($"gateway {gateway} answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 400)]}");
                }
            }
            catch (TaskCanceledException)
            {
                Requests.CountHung($"gateway {gateway}, submission {key}");
            }
            catch (HttpRequestException)
            {
                // This gateway is down: the client goes to the other one, as a load balancer would.
                Requests.CountUnreachable();
                gateway = (gateway + 1) % FaultCluster.GatewayCount;
            }

            await Task.Delay(wait);
        }

        Interlocked.Increment(ref _gaveUp);
    }

    /// <summary>Reads the views of the latest accepted jobs every second, checking that no counter goes backwards.</summary>
    private async Task WatchLoopAsync()
    {
        using var client = cluster.Client(users[0].Token, 0, TimeSpan.FromSeconds(10));
        while (!_stop.IsCancellationRequested)
        {
            foreach (var job in _accepted.Where(j => j.User == users[0].Name).Take(4).ToList())
            {
                try
                {
                    var view = await client.GetFromJsonAsync<JsonObject>($"/api/jobs/{job.Id}", _stop.Token);
                    var now = (view!["logBytesTotal"]!.GetValue<long>(), view["egressBytes"]!.GetValue<long>());
                    var before = _counters.GetValueOrDefault(job.Id);
                    if (now.Item1 < before.Log || now.Item2 < before.Egress)
                    {
                        Interlocked.Increment(ref _countersBackwards);
                    }

                    _counters[job.Id] = (Math.Max(now.Item1, before.Log), Math.Max(now.Item2, before.Egress));
                }
                catch (Exception error) when (error is HttpRequestException or TaskCanceledException or OperationCanceledException or System.Text.Json.JsonException)
                {
                    // An outage answers 503 or nothing; the submissions count those.
                }
            }

            try
            {
                await Task.Delay(1000, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
