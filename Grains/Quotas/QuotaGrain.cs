using Corral.Feeds;
using Corral.Jobs;
using Corral.Scheduling;
using Microsoft.Extensions.Logging;

namespace Corral.Quotas;

/// <inheritdoc cref="IQuotaGrain"/>
public sealed partial class QuotaGrain(
    [PersistentState("quota", GrainStorage.Name)] IPersistentState<QuotaState> state,
    QuotaOptions options,
    ILogger<QuotaGrain> logger) : Grain, IQuotaGrain
{
    private string User => QuotaKey.Parse(this.GetPrimaryKeyString()).User;

    private string Service => QuotaKey.Parse(this.GetPrimaryKeyString()).Service;

    private int Limit => options.LimitFor(Service);

    /// <summary>
    /// A service with a cap keeps all its admission state in one grain, so the cap and the users' quotas are one
    /// decision: every call is answered there.
    /// </summary>
    private IServiceQuotaGrain? Capped =>
        options.MaxRunsFor(Service) is null ? null : GrainFactory.GetGrain<IServiceQuotaGrain>(Service);

    /// <summary>
    /// How many waiting jobs are told their new position when the queue moves. Each notice is a job event to every
    /// connection of the user, so a queue of thousands would flood them; jobs further back learn their position
    /// when they come this close, or from the API.
    /// </summary>
    private const int PositionNoticesPerChange = 100;

    public async Task<QuotaDecision> EnqueueAsync(string jobId, JobPriority priority = JobPriority.Normal)
    {
        if (Capped is { } capped)
        {
            return await capped.EnqueueAsync(User, jobId, priority);
        }

        var s = state.State;
        if (s.Holders.Contains(jobId))
        {
            return new QuotaDecision(true, null);
        }

        var waitingAt = s.Queue.IndexOf(jobId);
        if (waitingAt >= 0)
        {
            return new QuotaDecision(false, waitingAt + 1);
        }

        // FIFO: a newcomer never overtakes someone already waiting.
        if (s.Queue.Count == 0 && s.Holders.Count < Limit)
        {
            s.Holders.Add(jobId);
            await state.WriteStateAsync();
            LogSlotAvailable(User, jobId, Service);
            await PublishAsync();
            return new QuotaDecision(true, null);
        }

        QueueOrder.Insert(s.Queue, s.Priorities, jobId, priority);
        if (priority != JobPriority.Normal)
        {
            s.Priorities[jobId] = priority;
        }

        await state.WriteStateAsync();
        LogRemainsQueued(User, s.Holders.Count, Limit, Service, jobId);
        await PublishAsync();
        waitingAt = s.Queue.IndexOf(jobId);
        if (waitingAt < s.Queue.Count - 1)
        {
            // A higher priority went ahead of some: they moved back.
            await NoteQueuePositionsAsync(waitingAt + 1);
        }

        return new QuotaDecision(false, waitingAt + 1);
    }

    public async Task ReleaseAsync(string jobId, double cpuSeconds = 0)
    {
        if (Capped is { } capped)
        {
            await capped.ReleaseAsync(User, jobId, cpuSeconds);
            return;
        }

        var s = state.State;
        // Jobs from here on move up: the leaving job's place, or the head when a slot admits the first waiting.
        var leftQueueAt = s.Queue.IndexOf(jobId);
        var changed = s.Holders.Remove(jobId) | s.Queue.Remove(jobId);
        s.Priorities.Remove(jobId);
        var admitted = new List<string>();
        while (s.Holders.Count < Limit && s.Queue.Count > 0)
        {
            var next = s.Queue[0];
            s.Queue.RemoveAt(0);
            s.Priorities.Remove(next);
            s.Holders.Add(next);
            admitted.Add(next);
        }

        if (!changed && admitted.Count == 0)
        {
            return;
        }

        // Persist before telling anyone: a crash after this point leaves the admission recorded, and the
        // job's own reconcile step asks again and learns it holds the slot.
        await state.WriteStateAsync();
        await PublishAsync();
        foreach (var next in admitted)
        {
            LogSlotAvailable(User, next, Service);
            await GrainFactory.GetGrain<IJobGrain>(next).AdmitAsync();
        }

        var movedFrom = admitted.Count > 0 ? 0 : leftQueueAt;
        if (movedFrom >= 0)
        {
            await NoteQueuePositionsAsync(movedFrom);
        }
    }

    /// <summary>Tells the waiting jobs from index <paramref name="from"/> on (up to a bound) their new positions.</summary>
    /// <remarks>Only while someone watches: a notice is two grain calls per job, one question is one.</remarks>
    private async Task NoteQueuePositionsAsync(int from)
    {
        var queue = state.State.Queue;
        var end = Math.Min(queue.Count, PositionNoticesPerChange);
        if (from >= end || !await GrainFactory.GetGrain<IUserFeedGrain>(User).HasWatchersAsync())
        {
            return;
        }

        var reason = FairAdmission.UserQuota(state.State.Holders.Count, Limit);
        for (var at = from; at < end; at++)
        {
            await GrainFactory.GetGrain<IJobGrain>(queue[at]).NoteQueuePositionAsync(new QueueWait(at + 1, reason));
        }
    }

    private async Task PublishAsync()
    {
        try
        {
            await GrainFactory.GetGrain<IUserFeedGrain>(User).PublishQuotaAsync(User, await GetUsageAsync());
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // Live figures only: the persisted queue is what counts, and the next change publishes again.
            LogPublishFailed(User, Service, error.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quota of {User} for '{Service}': live update not delivered: {Error}")]
    private partial void LogPublishFailed(string user, string service, string error);

    public Task<QuotaUsage> GetUsageAsync() => Capped is { } capped
        ? capped.GetUsageAsync(User)
        : Task.FromResult(new QuotaUsage(Service, Limit, state.State.Holders.Count, state.State.Queue.Count));

    public async Task<int?> GetQueuePositionAsync(string jobId) => (await GetWaitAsync(jobId))?.Position;

    public Task<QueueWait?> GetWaitAsync(string jobId)
    {
        if (Capped is { } capped)
        {
            return capped.GetWaitAsync(User, jobId);
        }

        var at = state.State.Queue.IndexOf(jobId);
        return Task.FromResult(at < 0 ? null : new QueueWait(at + 1, FairAdmission.UserQuota(state.State.Holders.Count, Limit)));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "User {User} has {Running}/{Limit} jobs running for service '{Service}', job {JobId} remains queued")]
    private partial void LogRemainsQueued(string user, int running, int limit, string service, string jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {User} slot available, dispatching job {JobId} to service '{Service}'")]
    private partial void LogSlotAvailable(string user, string jobId, string service);
}
