using Corral.Feeds;
using Corral.Jobs;
using Corral.Scheduling;
using Microsoft.Extensions.Logging;

namespace Corral.Quotas;

/// <inheritdoc cref="IQuotaGrain"/>
/// <remarks>
/// The state holds the slots and the next arrival number; the waiting jobs are rows of their own
/// (<see cref="IWaitingJobStore"/>), written with it, so an enqueue writes one row however many wait. With preemption
/// on, a waiting high job of a user at their quota ends one of their own lower-priority jobs (<see cref="PreemptionLedger"/>).
/// </remarks>
public sealed partial class QuotaGrain(
    [PersistentState(QuotaGrain.StateName, GrainStorage.Name)] IPersistentState<QuotaState> state,
    IWaitingJobStore waitingStore,
    QuotaOptions options,
    TimeProvider clock,
    BudgetClock budgetClock,
    ILogger<QuotaGrain> logger) : Grain, IQuotaGrain
{
    private const string StateName = "quota";

    private StoredWaitingQueue _waiting = null!;

    private WaitingQueue Queue => _waiting.Jobs;

    private string User => QuotaKey.Parse(this.GetPrimaryKeyString()).User;

    private string Service => QuotaKey.Parse(this.GetPrimaryKeyString()).Service;

    private int Limit => EffectiveLimits.RunsPerUser(options, Service, _overrides);

    /// <summary>
    /// The user's budgets in this service, from the settings only: run-time overrides live in a capped service's one
    /// grain, and telling every user's grain of an uncapped service would cost a call per user.
    /// </summary>
    private UsageBudget Budget => EffectiveLimits.Budget(options, Service, _overrides);

    /// <summary>
    /// An admin's run-time limits for the service (kept by its <see cref="IServiceQuotaGrain"/>), read when this grain
    /// starts and when it starts admitting again after holding and queuing nothing, and handed over when they change
    /// while it has jobs in flight.
    /// </summary>
    private LimitOverrides? _overrides;

    private IServiceQuotaGrain ServiceGrain => _serviceGrain ??= GrainFactory.GetGrain<IServiceQuotaGrain>(Service);

    private IServiceQuotaGrain? _serviceGrain;

    private IUserFeedGrain Feed => _feed ??= GrainFactory.GetGrain<IUserFeedGrain>(User);

    private IUserFeedGrain? _feed;

    private BudgetTimer _budgetTimer = null!;

    private PreemptionLedger _preemptions = null!;

    private bool PreemptionOn => EffectiveLimits.Preemption(options, Service, _overrides);

    /// <summary>
    /// A service with a cap keeps all its admission state in one grain, so the cap and the users' quotas are one
    /// decision: every call is answered there.
    /// </summary>
    private IServiceQuotaGrain? Capped =>
        options.MaxRunsFor(Service) is null ? null : ServiceGrain;

    /// <summary>
    /// How many waiting jobs are told their new position when the queue moves. Each notice is a job event to every
    /// connection of the user, so a queue of thousands would flood them; jobs further back learn their position
    /// when they come this close, or from the API.
    /// </summary>
    private const int PositionNoticesPerChange = 100;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _waiting = new StoredWaitingQueue(waitingStore, this.GetGrainId(), StateName, clock);
        // Not reentrant: every change is stored before the call that made it returns, so the timer never runs ahead of storage.
        _preemptions = new PreemptionLedger(
            this, GrainFactory, () => state.State, Service, () => Task.CompletedTask, () => EffectiveLimits.PreemptionGraceSeconds(options, Service, _overrides), logger);
        await _waiting.LoadAsync();
        if (Capped is null)
        {
            _overrides = await ServiceGrain.GetOverridesAsync();
        }

        var s = state.State;
        s.NextSeq = _waiting.NextSeq(s.NextSeq);
        var self = this.AsReference<IQuotaGrain>();
        _budgetTimer = new BudgetTimer(budgetClock.Time, async () =>
        {
            try
            {
                await self.RecheckBudgetsAsync();
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                // The next release, enqueue or activation arms it again.
                LogBudgetWakeFailed(User, Service, error.Message);
            }
        });
        ArmBudgetTimer();
        if (s.Queue.Count > 0)
        {
            // State written before the waiting jobs had rows: move them there, in their order.
            var moving = s.Queue.Count;
            s.NextSeq = _waiting.AdoptOldQueue(User, s.Queue, s.Priorities, s.NextSeq);
            s.Queue.Clear();
            s.Priorities.Clear();
            await SaveAsync();
            LogQueueMoved(User, Service, moving);
        }

        _preemptions.KeepAsking();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _budgetTimer.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Writes the state and the queue's changes together. After a failed write the grain's memory is ahead of what
    /// is stored, so it deactivates and the next call starts again from what is stored.
    /// </summary>
    private async Task SaveAsync()
    {
        try
        {
            await _waiting.SaveAsync(state.WriteStateAsync);
        }
        catch
        {
            DeactivateOnIdle();
            throw;
        }
    }

    public async Task<QuotaDecision> EnqueueAsync(string jobId, JobPriority priority = JobPriority.Normal)
    {
        if (Capped is { } capped)
        {
            return await capped.EnqueueAsync(User, jobId, priority);
        }

        var s = state.State;
        if (_preemptions.IsVictim(jobId))
        {
            // A victim asks once it has written that it waits again: now its slot goes to the job it made way for.
            return await RequeueAsync(jobId, priority);
        }

        if (s.Holders.Contains(jobId))
        {
            // Asked again, or a victim whose preemption was called off after it stopped: the slot is still its own.
            return QuotaDecision.Admit(_overrides);
        }

        if (Queue.PositionOf(jobId) is { } waiting)
        {
            return QuotaDecision.Waiting(waiting, WaitReason(), _overrides);
        }

        if (Queue.Count == 0 && s.Holders.Count == 0)
        {
            // Holding and queuing nothing, this grain was in no list a change of the limits went to: read them afresh.
            _overrides = await ServiceGrain.GetOverridesAsync();
        }

        // FIFO: a newcomer never overtakes someone already waiting.
        if (Queue.Count == 0 && s.Holders.Count < Limit && Budget.Allows(s.Budget, budgetClock.Time.GetUtcNow()))
        {
            s.Holders.Add(jobId);
            _preemptions.NoteAdmitted(_waiting.Arrival(jobId, User, priority, s.NextSeq++));
            Budget.RecordStart(s.Budget, budgetClock.Time.GetUtcNow());
            await SaveAsync();
            LogSlotAvailable(User, jobId, Service);
            await PublishAsync();
            return QuotaDecision.Admit(_overrides);
        }

        Queue.Add(_waiting.Arrival(jobId, User, priority, s.NextSeq++));
        ArmBudgetTimer();
        var victims = ChooseVictims().Victims;
        await SaveAsync();
        LogRemainsQueued(User, s.Holders.Count, Limit, Service, jobId);
        await _preemptions.AskAsync(victims);
        var watched = await PublishAsync();
        var position = Queue.PositionOf(jobId)!.Value;
        if (position < Queue.Count)
        {
            // A higher priority went ahead of some: they moved back.
            await NoteQueuePositionsAsync(position, watched);
        }

        return QuotaDecision.Waiting(position, WaitReason(), _overrides);
    }

    public async Task ReleaseAsync(string jobId, double cpuSeconds = 0, double gpuSeconds = 0)
    {
        if (Capped is { } capped)
        {
            await capped.ReleaseAsync(User, jobId, cpuSeconds, gpuSeconds);
            return;
        }

        var s = state.State;
        // Jobs from here on move up: the leaving job's place, or the head when a slot admits the first waiting.
        var leftQueueAt = Queue.PositionOf(jobId) - 1 ?? -1;
        var held = s.Holders.Remove(jobId);
        var counted = s.Counted.Remove(jobId, out var before) ? before : CountedTime.None;
        if (held)
        {
            // Counted once: a repeated release finds the job gone; what its reports counted while it ran is not again.
            CountTime(counted, cpuSeconds, gpuSeconds);
        }

        var changed = held | (Queue.Remove(jobId) is not null);
        // A victim that ended before it was requeued: its slot still goes to the job it was promised to.
        var handedOver = HandOver(_preemptions.Released(jobId));
        await AdmitAsync(changed, leftQueueAt, handedOver);
    }

    /// <summary>
    /// A victim of preemption has stopped and written that it waits again: it leaves its slot and waits under its old
    /// arrival number (first among its equals), and the slot goes to the job it was promised to.
    /// </summary>
    private async Task<QuotaDecision> RequeueAsync(string jobId, JobPriority priority)
    {
        var s = state.State;
        var (promised, seq) = _preemptions.Requeued(jobId);
        s.Holders.Remove(jobId);
        Queue.Add(new WaitingJob(jobId, User, priority, seq ?? s.NextSeq++, clock.GetUtcNow()));
        await AdmitAsync(true, 0, HandOver(promised), except: jobId);
        LogRequeued(User, jobId, Service, promised?.ForJob);
        return s.Holders.Contains(jobId)
            ? QuotaDecision.Admit(_overrides)
            : QuotaDecision.Waiting(Queue.PositionOf(jobId), WaitReason(), _overrides);
    }

    /// <summary>Admits the job a victim's slot was promised to, if it still waits and the quota and budgets allow it.</summary>
    private List<string> HandOver(PreemptionUnderway? promised)
    {
        var s = state.State;
        var now = budgetClock.Time.GetUtcNow();
        if (PreemptionLedger.Promised(promised, Queue) is not { } job || s.Holders.Count >= Limit || !Budget.Allows(s.Budget, now))
        {
            return [];
        }

        Queue.Remove(job.JobId);
        Admit(job, now);
        return [job.JobId];
    }

    private void Admit(WaitingJob job, DateTimeOffset now)
    {
        state.State.Holders.Add(job.JobId);
        _preemptions.NoteAdmitted(job);
        Budget.RecordStart(state.State.Budget, now);
    }

    /// <summary>
    /// Calls off preemptions whose promised job no longer waits; with preemption on and the user's budget not spent,
    /// chooses which of the user's running jobs make way for their waiting high ones. The caller saves, then asks them.
    /// </summary>
    private (List<string> Victims, bool Changed) ChooseVictims()
    {
        var s = state.State;
        var high = PreemptionOn && Budget.Allows(s.Budget, budgetClock.Time.GetUtcNow())
            ? Queue.Front(User, Queue.Count).TakeWhile(j => j.Priority == JobPriority.High).ToList()
            : null;
        // No cap: only the user's own quota holds their jobs, so each may only take the place of their own.
        return _preemptions.Choose(int.MaxValue, Limit, Queue, s.Holders.Select(id => (User, id)), high);
    }

    public Task NoteRunningTimeAsync(string jobId, double cpuSeconds, double gpuSeconds)
    {
        if (Capped is { } capped)
        {
            return capped.NoteRunningTimeAsync(User, jobId, cpuSeconds, gpuSeconds);
        }

        var s = state.State;
        if (!s.Holders.Contains(jobId) || !Budget.CountsTime)
        {
            // Released already (a report that came late) or nothing to count against: the release counts the rest.
            return Task.CompletedTask;
        }

        // Memory only, written with the next change: a crash loses the spending and what it counted together, and the
        // job's next report (its totals) or its release counts both again. Admission reads memory, so it counts now.
        s.Counted[jobId] = CountTime(s.Counted.GetValueOrDefault(jobId) ?? CountedTime.None, cpuSeconds, gpuSeconds);
        return Task.CompletedTask;
    }

    /// <summary>Spends a job's time (its totals) beyond what is <paramref name="counted"/>; answers what is counted after.</summary>
    private CountedTime CountTime(CountedTime counted, double cpuSeconds, double gpuSeconds)
    {
        var now = budgetClock.Time.GetUtcNow();
        UsageBudget.Prune(state.State.Budget, now);
        return Budget.RecordRunning(state.State.Budget, now, counted, cpuSeconds, gpuSeconds);
    }

    public async Task ApplyOverridesAsync(LimitOverrides? overrides)
    {
        _overrides = overrides;
        // A raised limit admits; either way what holds the waiting jobs changed, so all of them are told.
        await AdmitAsync(true, 0);
    }

    public Task WakeAsync() => RecheckBudgetsAsync();

    public async Task RecheckBudgetsAsync()
    {
        if (Capped is { } capped)
        {
            await capped.RecheckBudgetsAsync();
            return;
        }

        await AdmitAsync(false, -1);
    }

    /// <summary>
    /// Admits the head of the queue while the user's quota and budgets allow, then saves and tells everyone concerned
    /// when anything changed (<paramref name="changed"/>: a job left); waiting jobs from <paramref name="leftQueueAt"/>
    /// on moved up.
    /// </summary>
    /// <param name="changed">Whether a job left or came back, so the state must be written.</param>
    /// <param name="leftQueueAt">Waiting jobs from here on moved up (-1: none).</param>
    /// <param name="admitted">Jobs already admitted by this change (a promised slot handed over).</param>
    /// <param name="except">A job that learns its admission from the answer, not told.</param>
    private async Task AdmitAsync(bool changed, int leftQueueAt, List<string>? admitted = null, string? except = null)
    {
        var s = state.State;
        var now = budgetClock.Time.GetUtcNow();
        admitted ??= [];
        while (s.Holders.Count < Limit && Budget.Allows(s.Budget, now) && Queue.TakeNext(User) is { } next)
        {
            Admit(next, now);
            admitted.Add(next.JobId);
        }

        ArmBudgetTimer();
        var (victims, chose) = ChooseVictims();
        if (!changed && !chose && admitted.Count == 0)
        {
            return;
        }

        // Persist before telling anyone: a crash after this point leaves the admission recorded, and the
        // job's own reconcile step asks again and learns it holds the slot. Victims likewise are told once stored.
        await SaveAsync();
        await _preemptions.AskAsync(victims);
        var watched = await PublishAsync();
        foreach (var next in admitted.Where(id => id != except))
        {
            LogSlotAvailable(User, next, Service);
            await GrainFactory.GetGrain<IJobGrain>(next).AdmitAsync();
        }

        var movedFrom = admitted.Count > 0 ? 0 : leftQueueAt;
        if (movedFrom >= 0)
        {
            await NoteQueuePositionsAsync(movedFrom, watched);
        }
    }

    /// <summary>Sets the budget timer for when the spent budget frees, while jobs wait below the quota.</summary>
    private void ArmBudgetTimer()
    {
        var now = budgetClock.Time.GetUtcNow();
        var due = Queue.Count > 0 && !Budget.IsNone ? Budget.FreesAt(state.State.Budget, now) : null;
        _budgetTimer.Arm(due);
        if (due is { } at)
        {
            // The timer lives in this activation: keep it until then (a crash's reconcile of the waiting jobs re-arms it).
            DelayDeactivation(at - now + TimeSpan.FromMinutes(1));
        }
    }

    /// <summary>What holds the waiting jobs: the user's quota, else a spent budget.</summary>
    private string WaitReason()
    {
        var held = state.State.Holders.Count;
        return held < Limit && Budget.Spent(state.State.Budget, budgetClock.Time.GetUtcNow()) is { } spent
            ? spent
            : FairAdmission.UserQuota(held, Limit);
    }

    /// <summary>Tells the waiting jobs from index <paramref name="from"/> on (up to a bound) their new positions.</summary>
    /// <remarks>
    /// Only while someone watches (<paramref name="watched"/>: what a publish just before answered, if it did): a
    /// notice is two grain calls per job, one question is one.
    /// </remarks>
    private async Task NoteQueuePositionsAsync(int from, bool? watched = null)
    {
        var end = Math.Min(Queue.Count, PositionNoticesPerChange);
        if (from >= end || !(watched ?? await Feed.HasWatchersAsync()))
        {
            return;
        }

        var reason = WaitReason();
        var at = 0;
        foreach (var job in Queue.Front(User, end))
        {
            if (at >= from)
            {
                await GrainFactory.GetGrain<IJobGrain>(job.JobId).NoteQueuePositionAsync(new QueueWait(at + 1, reason));
            }

            at++;
        }
    }

    /// <summary>Whether anyone watches the user, as the feed answered; null when the publish failed.</summary>
    private async Task<bool?> PublishAsync()
    {
        try
        {
            return await Feed.PublishQuotaAsync(User, await GetUsageAsync());
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // Live figures only: the persisted queue is what counts, and the next change publishes again.
            LogPublishFailed(User, Service, error.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quota of {User} for '{Service}': live update not delivered: {Error}")]
    private partial void LogPublishFailed(string user, string service, string error);

    public async Task<bool> ReprioritizeAsync(string jobId, JobPriority priority)
    {
        if (Capped is { } capped)
        {
            return await capped.ReprioritizeAsync(User, jobId, priority);
        }

        if (!Queue.Move(jobId, priority))
        {
            return false;
        }

        // Raised to high, it may take the place of one of the user's lower jobs.
        var victims = ChooseVictims().Victims;
        await SaveAsync();
        await _preemptions.AskAsync(victims);
        await NoteQueuePositionsAsync(0);
        return true;
    }

    public Task<QuotaUsage> GetUsageAsync() => Capped is { } capped
        ? capped.GetUsageAsync(User)
        : Task.FromResult(new QuotaUsage(
            Service, Limit, state.State.Holders.Count, Queue.Count, Budgets: Budget.Figures(state.State.Budget, budgetClock.Time.GetUtcNow())));

    public async Task<int?> GetQueuePositionAsync(string jobId) => (await GetWaitAsync(jobId))?.Position;

    public Task<bool> IsPreemptingAsync(string jobId) =>
        Capped is { } capped ? capped.IsPreemptingAsync(jobId) : Task.FromResult(_preemptions.IsVictim(jobId));

    public Task<QueueWait?> GetWaitAsync(string jobId)
    {
        if (Capped is { } capped)
        {
            return capped.GetWaitAsync(User, jobId);
        }

        return Task.FromResult(Queue.PositionOf(jobId) is { } position
            ? new QueueWait(position, WaitReason())
            : null);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quota of {User} for '{Service}': waking for a freed budget failed: {Error}")]
    private partial void LogBudgetWakeFailed(string user, string service, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {User}: preempted job {JobId} waits again for service '{Service}'; its slot went to {ForJob}")]
    private partial void LogRequeued(string user, string jobId, string service, string? forJob);

    [LoggerMessage(Level = LogLevel.Information, Message = "Quota of {User} for '{Service}': {Count} waiting jobs moved from the old state to their own rows")]
    private partial void LogQueueMoved(string user, string service, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {User} has {Running}/{Limit} jobs running for service '{Service}', job {JobId} remains queued")]
    private partial void LogRemainsQueued(string user, int running, int limit, string service, string jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {User} slot available, dispatching job {JobId} to service '{Service}'")]
    private partial void LogSlotAvailable(string user, string jobId, string service);
}
