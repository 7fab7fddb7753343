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
        await logs.SyncAsync(cancellationToken);
        Update(await GetAsync(cancellationToken));
        while (!JobOutcome.IsTerminal(_job))
        {
            var next = await feed.NextAsync(cancellationToken);
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
                        await logs.SyncAsync(cancellationToken);
                        Update(await GetAsync(cancellationToken));
                        break;
                    case FeedEventKind.Poll:
                        Update(await GetAsync(cancellationToken));
                        break;
                }
            }
            catch (Exception error) when (error is HubException or IOException or InvalidOperationException or HttpRequestException)
            {
                // The connection dropped under a call; its reconnect (or the next poll) reads again what was missed.
            }
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
            catch (Exception error) when (error is IOException or InvalidOperationException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

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
