using Corral.Feeds;
using Corral.Gateway.Auth;
using Corral.Gateway.Jobs;
using Corral.Users;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Corral.Gateway.Live;

/// <summary>
/// /hubs/jobs: pushes each user only their own events. On connect a client first receives the current state
/// (its newest jobs and its quotas), then the changes, so a reconnect misses nothing it needs.
/// </summary>
[Authorize]
public sealed class JobsHub(IGrainFactory grains, FeedRelay relay, JobLogReader logs, LiveSnapshot snapshot) : Hub
{
    public const string AdminGroup = "admins";

    public static string UserGroup(string user) => "user:" + user;

    public static string LogGroup(string jobId) => "logs:" + jobId;

    public override async Task OnConnectedAsync()
    {
        var caller = TokenAuthenticationHandler.CallerOf(Context.User!);
        await Groups.AddToGroupAsync(Context.ConnectionId, UserGroup(caller.Name));
        await relay.WatchUserAsync(caller.Name);
        if (caller.IsAdmin)
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, AdminGroup);
            await relay.WatchUserAsync(IUserFeedGrain.AllUsers);
        }

        var user = grains.GetGrain<IUserGrain>(caller.Name);
        var views = caller.IsAdmin ? await snapshot.ForAdminsAsync(Context.ConnectionAborted) : await snapshot.ForUserAsync(caller.Name);
        foreach (var view in views)
        {
            await Clients.Caller.SendAsync("jobUpdated", view);
        }

        foreach (var usage in await user.GetQuotasAsync())
        {
            await Clients.Caller.SendAsync("quotaUpdated", usage);
        }
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        var caller = TokenAuthenticationHandler.CallerOf(Context.User!);
        relay.UnwatchUser(caller.Name);
        if (caller.IsAdmin)
        {
            relay.UnwatchUser(IUserFeedGrain.AllUsers);
        }

        if (Context.Items.TryGetValue("logs", out var watched) && watched is HashSet<string> jobs)
        {
            foreach (var job in jobs)
            {
                relay.UnwatchLogs(job);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Starts live output of a job the caller may see; returns the end of what is stored so far, the last
    /// <see cref="JobLogReader.PageBytes"/> (a day-long job's whole log would not fit one message): see
    /// <see cref="LogSnapshot"/>. Older output: <see cref="ReadLogsBefore"/>, or the whole log streamed by
    /// <c>GET /api/jobs/{id}/logs</c>.
    /// </summary>
    public async Task<LogSnapshot> WatchLogs(string jobId)
    {
        await CheckAccessAsync(jobId);

        var jobs = (HashSet<string>)(Context.Items["logs"] ??= new HashSet<string>(StringComparer.Ordinal));
        if (jobs.Add(jobId))
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, LogGroup(jobId));
            await relay.WatchLogsAsync(jobId);
        }

        return LogSnapshot.Of(jobId, await logs.ReadPageAsync(jobId, null, 0, Context.ConnectionAborted));
    }

    /// <summary>
    /// The page of stored output just before byte <paramref name="beforeOffset"/> of chunk <paramref name="beforeSeq"/>
    /// (a snapshot's <c>firstSeq</c> and <c>firstOffset</c>), in the same shape as <see cref="WatchLogs"/>: call again
    /// with its <c>firstSeq</c> and <c>firstOffset</c> while <c>hasEarlier</c>.
    /// </summary>
    public async Task<LogSnapshot> ReadLogsBefore(string jobId, long beforeSeq, int beforeOffset)
    {
        if (beforeSeq < 0 || beforeOffset < 0)
        {
            throw new HubException("beforeSeq and beforeOffset must not be negative.");
        }

        await CheckAccessAsync(jobId);
        return LogSnapshot.Of(jobId, await logs.ReadPageAsync(jobId, beforeSeq, beforeOffset, Context.ConnectionAborted));
    }

    private async Task CheckAccessAsync(string jobId)
    {
        var caller = TokenAuthenticationHandler.CallerOf(Context.User!);
        if (await JobAccess.FindAsync(grains, caller, jobId) is null)
        {
            throw new HubException($"No job '{jobId}'.");
        }
    }

    public async Task UnwatchLogs(string jobId)
    {
        if (Context.Items["logs"] is HashSet<string> jobs && jobs.Remove(jobId))
        {
            await Groups.RemoveFromGroupAsync(Context.ConnectionId, LogGroup(jobId));
            relay.UnwatchLogs(jobId);
        }
    }
}
