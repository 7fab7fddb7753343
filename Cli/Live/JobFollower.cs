using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;

namespace Corral.Cli.Live;

/// <summary>
/// Follows one job to its end over the hub: prints its output once and in order (<see cref="LogFollower"/>),
/// optionally notes its status changes on stderr, and answers its final view once all its stored output is printed.
/// </summary>
public sealed class JobFollower(Session session, string jobId, bool noteStatus)
{
    private static readonly TimeSpan FinalSyncPatience = TimeSpan.FromMinutes(2);

    private JsonElement _job;
    private string? _noted;

    public async Task<JsonElement> FollowAsync(CancellationToken cancellationToken)
    {
        await using var feed = new JobFeed(session.Api, jobId);
        var logs = new LogFollower(feed, jobId, text => session.Output.Log(jobId, text));
        await feed.StartAsync(cancellationToken);
        // The first read is the one a reconnect does, so a connection lost under it is handled the same way.
        var next = new FeedEvent(FeedEventKind.Reconnected);
        while (true)
        {
            try
            {
                switch (next.Kind)
                {
                    case FeedEventKind.JobUpdated:
                        Update(next.Job);
                        break;
                    case FeedEventKind.LogAppended:
                        await logs.OnChunkAsync(next.Seq, next.Text, cancellationToken);
                        break;
                    case FeedEventKind.Reconnected:
                        // The job first: a job the caller cannot see is a 404 here, not a hub error to wait out.
                        Update(await GetAsync(cancellationToken));
                        await logs.SyncAsync(cancellationToken);
                        break;
                    case FeedEventKind.Poll:
                        Update(await GetAsync(cancellationToken));
                        break;
                }
            }
            catch (Exception error) when (IsTransient(error, cancellationToken))
            {
                // The connection dropped under a call; its reconnect (or the next poll) reads again what was missed.
            }

            if (_job.ValueKind == JsonValueKind.Object && JobOutcome.IsTerminal(_job))
            {
                break;
            }

            next = await feed.NextAsync(cancellationToken);
        }

        await FinalSyncAsync(feed, logs, cancellationToken);
        return _job;
    }

    /// <summary>The job has ended: print what it stored after the last chunk seen, waiting out a reconnect if need be.</summary>
    private static async Task FinalSyncAsync(JobFeed feed, LogFollower logs, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + FinalSyncPatience;
        while (true)
        {
            try
            {
                await logs.SyncAsync(cancellationToken);
                return;
            }
            catch (Exception error) when (IsTransient(error, cancellationToken) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    /// <summary>
    /// A failure a reconnect or the next poll gets past: the connection dropped under a call (WebSocket, I/O,
    /// a hub call cut short) or the gateway answered 5xx while it restarts. Not: the API refusing (4xx), or Ctrl+C.
    /// </summary>
    private static bool IsTransient(Exception error, CancellationToken cancellationToken) => error switch
    {
        ApiException api => api.Status >= 500,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        WebSocketException or IOException or HttpRequestException or HubException or InvalidOperationException => true,
        _ => false,
    };

    private Task<JsonElement> GetAsync(CancellationToken cancellationToken) =>
        session.Api.GetAsync($"api/jobs/{CorralApi.Escape(jobId)}", cancellationToken);

    /// <summary>Takes a view unless it is older than the one held (events and polls can cross; history only grows).</summary>
    private void Update(JsonElement job)
    {
        if (_job.ValueKind == JsonValueKind.Object && HistoryLength(job) < HistoryLength(_job))
        {
            return;
        }

        _job = job;
        if (!noteStatus || session.Output.Json)
        {
            return;
        }

        var words = JobText.StatusWords(job);
        if (words != _noted)
        {
            _noted = words;
            Output.Note($"{jobId}: {words}");
        }
    }

    private static int HistoryLength(JsonElement job) =>
        job.TryGetProperty("history", out var history) && history.ValueKind == JsonValueKind.Array ? history.GetArrayLength() : 0;
}
