using Corral.Gateway.Users;
using Corral.Jobs;
using Corral.Users;

namespace Corral.Gateway.Live;

/// <summary>
/// The current state a live client starts from: a user's newest jobs, or for admins every user's newest. The hub
/// sends it to a client that connects; the relay sends it again to a feed's clients when it finds that it stopped
/// hearing that feed for a while (<see cref="FeedRelay"/>).
/// </summary>
public sealed partial class LiveSnapshot(IGrainFactory grains, UserDirectory users, ILogger<LiveSnapshot> logger)
{
    private const int JobsPerUser = 100;
    private const int JobsPerUserForAdmins = 20;

    /// <summary>The user's newest jobs, oldest first.</summary>
    public async Task<IEnumerable<JobView>> ForUserAsync(string user) =>
        await ViewsAsync((await grains.GetGrain<IUserGrain>(user).GetJobIdsAsync()).Take(JobsPerUser));

    /// <summary>Every user's newest jobs, oldest first.</summary>
    public async Task<IEnumerable<JobView>> ForAdminsAsync(CancellationToken cancellationToken)
    {
        var perUser = await Task.WhenAll((await users.ListNamesAsync(cancellationToken))
            .Select(name => grains.GetGrain<IUserGrain>(name).GetJobIdsAsync()));
        return await ViewsAsync(perUser.SelectMany(jobs => jobs.Take(JobsPerUserForAdmins)));
    }

    private async Task<IEnumerable<JobView>> ViewsAsync(IEnumerable<string> ids)
    {
        var views = await Task.WhenAll(ids.Select(ViewOrNullAsync));
        return views.OfType<JobView>().OrderBy(v => v.SubmittedAt);
    }

    /// <summary>
    /// A job's view for the snapshot, or null when its grain cannot answer now: one such job must not cost the
    /// client its whole connection (an exception in the hub closes it); its next change reaches the client anyway.
    /// </summary>
    private async Task<JobView?> ViewOrNullAsync(string jobId)
    {
        try
        {
            return await grains.GetGrain<IJobGrain>(jobId).GetAsync();
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            LogSnapshotSkipped(jobId, error.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} left out of a live snapshot: {Error}")]
    private partial void LogSnapshotSkipped(string jobId, string error);
}
