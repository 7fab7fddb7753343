using Corral.Feeds;
using Corral.Jobs;
using Corral.Scheduling;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace Corral.Quotas;

/// <inheritdoc cref="IServiceQuotaGrain"/>
/// <remarks>
/// Persisted before anyone is told, as <see cref="QuotaGrain"/>: a crash after the write leaves the admission
/// recorded, and the job's reconcile step asks again and learns it holds the slot. Calls back to jobs are one-way.
/// The waiting jobs are rows of their own (<see cref="IWaitingJobStore"/>), written with the state.
/// Every admission of the service comes through this one grain, so it is reentrant: while one call's change is being
/// written, others change the memory and share the next write (<see cref="CoalescedWrites"/>). Each call changes the
/// state between awaits only, and reads again after an await what another call may have changed meanwhile.
/// </remarks>
[Reentrant]
public sealed partial class ServiceQuotaGrain(
    [PersistentState(ServiceQuotaGrain.StateName, GrainStorage.Name)] IPersistentState<ServiceQuotaState> state,
    IWaitingJobStore waitingStore,
    QuotaOptions options,
    TimeProvider clock,
    BudgetClock budgetClock,
    IJobIndex jobIndex,
    ILogger<ServiceQuotaGrain> logger) : Grain, IServiceQuotaGrain
{
    private const string StateName = "service-quota";

    private StoredWaitingQueue _waiting = null!;

    private CoalescedWrites _writes = null!;

    private WaitingQueue Waiting => _waiting.Jobs;

    /// <summary>As <see cref="QuotaGrain"/>: how many waiting jobs of a user are told their new position per change.</summary>
    private const int PositionNoticesPerChange = 100;

    private string Service => this.GetPrimaryKeyString();

    /// <summary>The cap; a service whose variable was removed keeps draining with no cap beyond each user's quota.</summary>
    private int Cap => IsCapped ? S.Overrides?.MaxRuns ?? options.MaxRunsFor(Service)!.Value : int.MaxValue;

    private int UserLimit => EffectiveLimits.RunsPerUser(options, Service, S.Overrides);

    private bool IsCapped => options.MaxRunsFor(Service) is not null;

    private bool PreemptionOn => EffectiveLimits.Preemption(options, Service, S.Overrides);

    /// <summary>Each user's budgets: the overrides', else the settings'.</summary>
    private UsageBudget Budget => EffectiveLimits.Budget(options, Service, S.Overrides);

    private int Burst => S.Overrides?.BurstPerUser ?? options.BurstFor(Service);

    private TimeSpan HalfLife => EffectiveLimits.HalfLife(options, Service, S.Overrides);

    private BudgetTimer _budgetTimer = null!;

    private ServiceQuotaState S => state.State;

    private PreemptionLedger _preemptions = null!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _waiting = new StoredWaitingQueue(waitingStore, this.GetGrainId(), StateName, clock);
        _writes = new CoalescedWrites(() => _waiting.SaveAsync(state.WriteStateAsync), DeactivateOnIdle);
        _preemptions = new PreemptionLedger(
            this, GrainFactory, () => S, Service, () => _writes.StoredAsync(), () => EffectiveLimits.PreemptionGraceSeconds(options, Service, S.Overrides), logger);
        await _waiting.LoadAsync();
        S.NextSeq = _waiting.NextSeq(S.NextSeq);
        var self = this.AsReference<IServiceQuotaGrain>();
        _budgetTimer = new BudgetTimer(budgetClock.Time, async () =>
        {
            try
            {
                await self.RecheckBudgetsAsync();
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                // The next release, enqueue or activation arms it again.
                LogBudgetWakeFailed(Service, error.Message);
            }
        });
        ArmBudgetTimer();
        if (S.Queues.Count > 0)
        {
            // State written before the waiting jobs had rows: move them there, each user's in their order.
            var moving = S.Queues.Values.Sum(q => q.Count);
            foreach (var (user, queue) in S.Queues)
            {
                S.NextSeq = _waiting.AdoptOldQueue(user, queue, S.Priorities, S.NextSeq);
            }

            S.Queues.Clear();
            S.Priorities.Clear();
            await SaveAsync();
            LogQueueMoved(Service, moving);
        }

        _preemptions.KeepAsking();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _budgetTimer.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>As <see cref="QuotaGrain"/>: state and queue changes together; after a failed write, start again from storage.</summary>
    private Task SaveAsync() => _writes.SaveAsync();

    public async Task<QuotaDecision> EnqueueAsync(string user, string jobId, JobPriority priority = JobPriority.Normal)
    {
        if (_preemptions.IsVictim(jobId))
        {
            // A victim asks once it has written that it waits again: now its slot goes to the job it made way for.
            return await RequeueAsync(user, jobId, priority);
        }

        if (Holds(user, jobId) || PositionOf(user, jobId) is not null)
        {
            // Asked again (the job's reconcile step): answer only what is stored, as the first answer was.
            await _writes.StoredAsync();
            return Decision(user, jobId);
        }

        FairAdmission.Wait(Waiting, S.Turns, _waiting.Arrival(jobId, user, priority, S.NextSeq++));
        var admitted = Fill();
        var victims = ChooseVictims();
        await SaveAsync();
        await _preemptions.AskAsync(victims);
        var isAdmitted = admitted.Any(a => a.JobId == jobId);
        if (!isAdmitted)
        {
            LogRemainsQueued(user, jobId, Service, FairAdmission.Running(S.Holders), Cap);
        }

        // The newcomer learns its admission from the answer; anyone else admitted (none, while the rule holds) is told.
        var watched = await AnnounceAsync([(user, jobId), .. admitted], admitted.Where(a => a.JobId != jobId));
        if (isAdmitted)
        {
            return QuotaDecision.Admit(S.Overrides);
        }

        // Other calls ran while this one awaited: the job may have been admitted by then (and told so).
        var decision = Decision(user, jobId);
        if (decision.QueuePosition is { } position && position < Waiting.CountOf(user))
        {
            // A higher priority went ahead of some of the user's jobs: they moved back.
            await NoteQueuePositionsAsync(user, position, watched);
        }

        return decision;
    }

    private bool Holds(string user, string jobId) => S.Holders.TryGetValue(user, out var held) && held.Contains(jobId);

    /// <summary>Where the job stands now: holding a slot, waiting at a place, or (gone meanwhile) neither.</summary>
    private QuotaDecision Decision(string user, string jobId) =>
        Holds(user, jobId) ? QuotaDecision.Admit(S.Overrides) : QuotaDecision.Waiting(PositionOf(user, jobId), WaitReason(user), S.Overrides);

    public async Task<bool> ReprioritizeAsync(string user, string jobId, JobPriority priority)
    {
        if (!Waiting.Move(jobId, priority))
        {
            return false;
        }

        var victims = ChooseVictims();
        await SaveAsync();
        await _preemptions.AskAsync(victims);
        await NoteQueuePositionsAsync(user, 0);
        return true;
    }

    public async Task ReleaseAsync(string user, string jobId, double cpuSeconds = 0, double gpuSeconds = 0)
    {
        var leftQueueAt = PositionOf(user, jobId);
        var removed = FairAdmission.Remove(S.Holders, Waiting, S.Turns, user, jobId);
        if (removed)
        {
            // Counted once: a repeated release finds the job gone and adds nothing.
            AddUsage(user, cpuSeconds);
            AddSpending(user, S.Counted.GetValueOrDefault(jobId) ?? CountedTime.None, cpuSeconds, gpuSeconds);
        }

        S.Counted.Remove(jobId);

        // A victim that ended before it was requeued: its slot still goes to the job it was promised to.
        var admitted = HandOver(_preemptions.Released(jobId));
        admitted.AddRange(Fill());
        if (!removed && admitted.Count == 0)
        {
            // Released before (perhaps by a call whose write is still in flight): done once that is stored.
            await _writes.StoredAsync();
            return;
        }

        var victims = ChooseVictims();
        await SaveAsync();
        await _preemptions.AskAsync(victims);
        var watched = await AnnounceAsync([(user, jobId), .. admitted], admitted);

        // Queues that moved: the leaving job's user's from its place on, and every admitted user's from the head.
        var moved = admitted.Select(a => (a.User, From: 0)).ToList();
        if (leftQueueAt is { } at && admitted.All(a => a.User != user))
        {
            moved.Add((user, at - 1));
        }

        foreach (var (who, from) in moved.DistinctBy(m => m.User))
        {
            await NoteQueuePositionsAsync(who, from, watched);
        }
    }

    /// <summary>
    /// Admits whoever is next while the service has room (by recent usage, unless the service shares by turns), within
    /// each user's budgets and burst; then sets the budget timer for whoever still waits on a spent budget.
    /// </summary>
    private List<(string User, string JobId)> Fill()
    {
        var now = clock.GetUtcNow();
        var halfLife = HalfLife;
        Func<string, double>? usage = EffectiveLimits.FairnessOf(options, Service, S.Overrides) == Fairness.Usage
            ? user => S.Usage.TryGetValue(user, out var used) ? UsageDecay.At(used.CpuSeconds, used.AsOf, now, halfLife) : 0
            : null;
        var budget = Budget;
        var gate = budget.IsNone ? null : new BudgetGate(budget, S.Budgets, budgetClock.Time.GetUtcNow());
        var admitted = FairAdmission.Fill(Cap, UserLimit, S.Holders, Waiting, S.Turns, usage, gate, Burst, NoteAdmitted);
        ArmBudgetTimer();
        return admitted;
    }

    public Task WakeAsync() => RecheckBudgetsAsync();

    public async Task RecheckBudgetsAsync()
    {
        var admitted = Fill();
        if (admitted.Count == 0)
        {
            return;
        }

        await SaveAsync();
        await AnnounceAsync(admitted, admitted);
        foreach (var user in admitted.Select(a => a.User).Distinct(StringComparer.Ordinal))
        {
            await NoteQueuePositionsAsync(user, 0);
        }
    }

    /// <summary>Sets the budget timer for when the first waiting user held back only by a spent budget may run again.</summary>
    private void ArmBudgetTimer()
    {
        var budget = Budget;
        if (budget.IsNone)
        {
            _budgetTimer.Arm(null);
            return;
        }

        var now = budgetClock.Time.GetUtcNow();
        DateTimeOffset? first = null;
        foreach (var user in S.Turns)
        {
            if (S.Budgets.TryGetValue(user, out var spent) && budget.FreesAt(spent, now) is { } at && (first is null || at < first))
            {
                first = at;
            }
        }

        _budgetTimer.Arm(first);
        if (first is { } due)
        {
            // The timer lives in this activation: keep it until then (a crash's reconcile of the waiting jobs re-arms it).
            DelayDeactivation(due - now + TimeSpan.FromMinutes(1));
        }
    }

    /// <summary>
    /// Counts a job's measured time (its totals) beyond what is <paramref name="counted"/> already against its user's
    /// budgets, and forgets spending past every window; answers what is counted of the job after this.
    /// </summary>
    private CountedTime AddSpending(string user, CountedTime counted, double cpuSeconds, double gpuSeconds)
    {
        var now = budgetClock.Time.GetUtcNow();
        foreach (var (who, spent) in S.Budgets.ToList())
        {
            if (UsageBudget.Prune(spent, now))
            {
                S.Budgets.Remove(who);
            }
        }

        var budget = Budget;
        if (!budget.CountsTime)
        {
            return counted;
        }

        var usage = SpendingOf(user);
        var after = budget.RecordRunning(usage, now, counted, cpuSeconds, gpuSeconds);
        if (usage.IsEmpty)
        {
            S.Budgets.Remove(user);
        }

        return after;
    }

    public Task NoteRunningTimeAsync(string user, string jobId, double cpuSeconds, double gpuSeconds)
    {
        if (!Holds(user, jobId) || !Budget.CountsTime)
        {
            // Released already (a report that came late) or nothing to count against: the release counts the rest.
            return Task.CompletedTask;
        }

        // Memory only, written with the next change (as QuotaGrain's): a crash loses the spending and what it counted
        // together, and the job's next report or its release counts both again. Admission reads memory. Only this
        // user's spending is pruned here: a report comes every few seconds per running job, a release once.
        var usage = SpendingOf(user);
        var now = budgetClock.Time.GetUtcNow();
        UsageBudget.Prune(usage, now);
        S.Counted[jobId] = Budget.RecordRunning(usage, now, S.Counted.GetValueOrDefault(jobId) ?? CountedTime.None, cpuSeconds, gpuSeconds);
        return Task.CompletedTask;
    }

    /// <summary>The user's budget spending, begun empty if they had none.</summary>
    private BudgetUsage SpendingOf(string user)
    {
        if (!S.Budgets.TryGetValue(user, out var usage))
        {
            S.Budgets[user] = usage = new BudgetUsage();
        }

        return usage;
    }

    /// <summary>The users' budgets as admission weighs them now; null when the service has none.</summary>
    private BudgetGate? BudgetGate() => Budget.IsNone ? null : new BudgetGate(Budget, S.Budgets, budgetClock.Time.GetUtcNow());

    private void NoteAdmitted(WaitingJob job) => _preemptions.NoteAdmitted(job);

    /// <summary>
    /// A victim of preemption has stopped and written that it waits again: it leaves its slot for the head of its
    /// user's line (keeping its arrival number, so it stands first among its equals), and the slot goes to the job it
    /// was promised to. Idempotent: a repeated call finds the victim waiting and answers its place.
    /// </summary>
    private async Task<QuotaDecision> RequeueAsync(string user, string jobId, JobPriority priority)
    {
        var (promised, seq) = _preemptions.Requeued(jobId);
        FairAdmission.Remove(S.Holders, Waiting, S.Turns, user, jobId);
        FairAdmission.Wait(Waiting, S.Turns, new WaitingJob(jobId, user, priority, seq ?? S.NextSeq++, clock.GetUtcNow()));
        var admitted = HandOver(promised);
        admitted.AddRange(Fill());
        var victims = ChooseVictims();
        await SaveAsync();
        LogRequeued(user, jobId, Service, promised?.ForJob);
        await _preemptions.AskAsync(victims);
        await AnnounceAsync([(user, jobId), .. admitted], admitted.Where(a => a.JobId != jobId));
        foreach (var who in admitted.Select(a => a.User).Append(user).Distinct(StringComparer.Ordinal))
        {
            await NoteQueuePositionsAsync(who, 0);
        }

        // Other calls ran while this one awaited: where the job stands now.
        return Decision(user, jobId);
    }

    /// <summary>Admits the job a victim's slot was promised to, if it still waits and the limits allow it.</summary>
    private List<(string User, string JobId)> HandOver(PreemptionUnderway? promised)
    {
        var gate = BudgetGate();
        if (PreemptionLedger.Promised(promised, Waiting) is not { } job
            || FairAdmission.Held(S.Holders, job.User) >= UserLimit
            || FairAdmission.Running(S.Holders) >= Cap
            || gate?.MayStart(job.User) == false)
        {
            return [];
        }

        gate?.Started(job.User);

        FairAdmission.Remove(S.Holders, Waiting, S.Turns, job.User, job.JobId);
        if (!S.Holders.TryGetValue(job.User, out var held))
        {
            S.Holders[job.User] = held = [];
        }

        held.Add(job.JobId);
        NoteAdmitted(job);
        return [(job.User, job.JobId)];
    }

    /// <summary>
    /// Calls off preemptions whose promised job no longer waits; with preemption on, chooses the running jobs that make
    /// way for waiting high-priority jobs (<see cref="PreemptionLedger.Choose"/>). The caller saves, then asks them.
    /// </summary>
    private List<string> ChooseVictims()
    {
        List<WaitingJob>? waiting = null;
        if (PreemptionOn && IsCapped)
        {
            // A user whose budget is spent waits for it, not for a slot: preempting for them would free nothing they may use.
            var gate = BudgetGate();
            waiting = S.Turns
                .Where(user => gate?.MayStart(user) != false)
                .SelectMany(user => Waiting.Front(user, Cap).TakeWhile(j => j.Priority == JobPriority.High))
                .ToList();
        }

        var holders = S.Holders.SelectMany(h => h.Value.Select(id => (h.Key, id)));
        return _preemptions.Choose(Cap, UserLimit, Waiting, holders, waiting).Victims;
    }

    /// <summary>Adds a finished job's CPU time to its user's decayed usage, and forgets users whose usage has decayed away.</summary>
    private void AddUsage(string user, double cpuSeconds)
    {
        var now = clock.GetUtcNow();
        var halfLife = HalfLife;
        foreach (var (who, used) in S.Usage.ToList())
        {
            if (who != user && UsageDecay.At(used.CpuSeconds, used.AsOf, now, halfLife) < UsageDecay.Negligible)
            {
                S.Usage.Remove(who);
            }
        }

        var total = S.Usage.TryGetValue(user, out var before)
            ? UsageDecay.Add(before.CpuSeconds, before.AsOf, cpuSeconds, now, halfLife)
            : Math.Max(0, cpuSeconds);
        if (total < UsageDecay.Negligible)
        {
            S.Usage.Remove(user);
        }
        else
        {
            S.Usage[user] = new UsageRecord(total, now);
        }
    }

    public Task<QuotaUsage> GetUsageAsync(string user) => Task.FromResult(UsageOf(user));

    public Task<bool> IsPreemptingAsync(string jobId) => Task.FromResult(_preemptions.IsVictim(jobId));

    public Task<QueueWait?> GetWaitAsync(string user, string jobId) =>
        Task.FromResult(PositionOf(user, jobId) is { } position ? new QueueWait(position, WaitReason(user)) : null);

    private QuotaUsage UsageOf(string user) => new(
        Service,
        UserLimit,
        FairAdmission.Held(S.Holders, user),
        Waiting.CountOf(user),
        IsCapped ? Cap : null,
        FairAdmission.Running(S.Holders),
        Budget.Figures(S.Budgets.GetValueOrDefault(user), budgetClock.Time.GetUtcNow()));

    public Task<ServiceLimits> GetLimitsAsync() => Task.FromResult(Limits());

    public Task<LimitOverrides?> GetOverridesAsync() => Task.FromResult(S.Overrides);

    public async Task<LimitsChange> SetLimitsAsync(LimitOverrides? overrides)
    {
        if (EffectiveLimits.Refusal(options, Service, overrides) is var (field, problem))
        {
            return new LimitsChange(null, field, problem);
        }

        if (!IsCapped)
        {
            return await SetUncappedLimitsAsync(overrides);
        }

        S.Overrides = overrides is null || overrides.IsEmpty ? null : overrides;
        var admitted = Fill();
        // Preemption turned on (or a lowered limit) may let waiting high jobs take lower ones' places now.
        var victims = ChooseVictims();
        await SaveAsync();
        LogLimitsChanged(Service, UserLimit, Cap, admitted.Count);
        await _preemptions.AskAsync(victims);
        // Turns lists every user with waiting jobs.
        var concerned = S.Holders.Keys.Union(S.Turns).Select(user => (user, string.Empty)).ToList();
        await AnnounceAsync(concerned, admitted);
        foreach (var user in S.Turns.ToList())
        {
            // What holds them may have changed (the cap, or their own quota), and their places if some were admitted.
            await NoteQueuePositionsAsync(user, 0);
        }

        return new LimitsChange(Limits());
    }

    /// <summary>
    /// A service without a cap: each user's own grain admits, so the overrides are stored here and handed to the grain
    /// of every user with a job in flight; the others read them when their grain starts admitting again
    /// (<see cref="QuotaGrain"/>); <see cref="EffectiveLimits.Refusal"/> has kept out what only a cap's grain applies.
    /// </summary>
    private async Task<LimitsChange> SetUncappedLimitsAsync(LimitOverrides? overrides)
    {
        S.Overrides = overrides is null || overrides.IsEmpty ? null : overrides;
        await SaveAsync();
        var users = await jobIndex.ListUsersWithUnfinishedJobsAsync(Service);
        await Task.WhenAll(users.Select(user =>
            GrainFactory.GetGrain<IQuotaGrain>(QuotaKey.For(user, Service)).ApplyOverridesAsync(S.Overrides)));
        LogUncappedLimitsChanged(Service, UserLimit, users.Count);
        return new LimitsChange(Limits());
    }

    private ServiceLimits Limits()
    {
        var name = QuotaOptions.VariableName(Service);
        var runsPerUser = S.Overrides?.RunsPerUser is { } r
            ? new EffectiveLimit(r, Override)
            : new EffectiveLimit(options.LimitFor(Service), options.Limits.ContainsKey(name) ? $"SERVICE_{name}_RUNS_PER_USER" : "default");
        var maxRuns = IsCapped ? new EffectiveLimit(Cap, S.Overrides?.MaxRuns is null ? $"SERVICE_{name}_MAX_RUNS" : Override) : null;
        var preemption = S.Overrides?.Preemption is { } on
            ? new EffectiveSwitch(on, Override)
            : new EffectiveSwitch(options.PreemptionFor(Service), options.PreemptionFor(Service) ? $"SERVICE_{name}_PREEMPTION" : "default");
        var burst = !IsCapped ? null : S.Overrides?.BurstPerUser is { } b
            ? new EffectiveLimit(b, Override)
            : new EffectiveLimit(Burst, options.Bursts.ContainsKey(name) ? $"SERVICE_{name}_BURST_PER_USER" : "default");
        var settings = options.BudgetFor(Service);
        var fairness = !IsCapped ? null : S.Overrides?.Fairness is { } word
            ? new EffectiveChoice(word, Override)
            : new EffectiveChoice(FairnessWords.Of(options.FairnessFor(Service)), options.FairnessPolicies.ContainsKey(name) ? $"SERVICE_{name}_FAIRNESS" : "default");
        var halfLife = !IsCapped ? null : new EffectiveLimit(
            (int)HalfLife.TotalSeconds,
            S.Overrides?.FairShareHalfLifeSeconds is not null ? Override
            : options.HalfLives.ContainsKey(name) ? $"SERVICE_{name}_FAIR_SHARE_HALF_LIFE_SECONDS"
            : options.FairShareHalfLife != QuotaOptions.DefaultHalfLife ? "FAIR_SHARE_HALF_LIFE_SECONDS" : "default");
        return new ServiceLimits(
            Service,
            runsPerUser,
            maxRuns,
            burst,
            Effective(S.Overrides?.JobsPerHour, settings.JobsPerHour, $"SERVICE_{name}_JOBS_PER_USER_PER_HOUR"),
            Effective(S.Overrides?.CpuSecondsPerDay, settings.CpuSecondsPerDay, $"SERVICE_{name}_CPU_SECONDS_PER_USER_PER_DAY"),
            Effective(S.Overrides?.GpuSecondsPerDay, settings.GpuSecondsPerDay, $"SERVICE_{name}_GPU_SECONDS_PER_USER_PER_DAY"),
            preemption,
            Effective(S.Overrides?.DefaultDurationSeconds, options.DefaultDurationFor(Service), $"SERVICE_{name}_DEFAULT_DURATION_SECONDS"),
            Effective(S.Overrides?.MaxDurationSeconds, options.DurationCeilingFor(Service), $"SERVICE_{name}_MAX_DURATION_SECONDS"),
            fairness,
            halfLife,
            new EffectiveLimit(
                EffectiveLimits.PreemptionGraceSeconds(options, Service, S.Overrides),
                S.Overrides?.PreemptionGraceSeconds is not null ? Override
                : options.PreemptionGraces.ContainsKey(name) ? $"SERVICE_{name}_PREEMPTION_GRACE_SECONDS" : "default"));
    }

    /// <summary>A budget's value and source; null when neither an override nor a setting gives one.</summary>
    private static EffectiveLimit? Effective(int? overridden, int? setting, string variable) =>
        overridden is { } o ? new EffectiveLimit(o, Override) : setting is { } v ? new EffectiveLimit(v, variable) : null;

    private const string Override = "override";

    private string WaitReason(string user) =>
        FairAdmission.WaitReason(
            Cap,
            UserLimit,
            FairAdmission.Running(S.Holders),
            FairAdmission.Held(S.Holders, user),
            Budget.Spent(S.Budgets.TryGetValue(user, out var spent) ? spent : null, budgetClock.Time.GetUtcNow()));

    private int? PositionOf(string user, string jobId) =>
        Waiting.Find(jobId)?.User == user ? Waiting.PositionOf(jobId) : null;

    /// <summary>
    /// Publishes the figures of every user concerned, then tells the admitted jobs (one-way); answers which of those
    /// users anyone watches (a user whose publish failed is left out: asked again if needed).
    /// </summary>
    private async Task<Dictionary<string, bool>> AnnounceAsync(
        IEnumerable<(string User, string JobId)> concerned, IEnumerable<(string User, string JobId)> admitted)
    {
        var watched = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var user in concerned.Select(c => c.User).Distinct(StringComparer.Ordinal).ToList())
        {
            if (await PublishAsync(user) is { } anyone)
            {
                watched[user] = anyone;
            }
        }

        foreach (var (user, jobId) in admitted)
        {
            LogSlotAvailable(user, jobId, Service);
            await GrainFactory.GetGrain<IJobGrain>(jobId).AdmitAsync();
        }

        return watched;
    }

    /// <summary>
    /// Tells the user's waiting jobs from index <paramref name="from"/> on (up to a bound) where they stand, while
    /// anyone watches (<paramref name="watched"/>: what the publish just before answered, if it did).
    /// </summary>
    private async Task NoteQueuePositionsAsync(string user, int from, IReadOnlyDictionary<string, bool>? watched = null)
    {
        var end = Math.Min(Waiting.CountOf(user), PositionNoticesPerChange);
        if (from >= end)
        {
            return;
        }

        var anyone = watched is not null && watched.TryGetValue(user, out var known)
            ? known
            : await GrainFactory.GetGrain<IUserFeedGrain>(user).HasWatchersAsync();
        if (!anyone)
        {
            return;
        }

        var reason = WaitReason(user);
        var at = 0;
        // A copy: other calls change the line while this one awaits the notices.
        foreach (var job in Waiting.Front(user, end).ToList())
        {
            if (at >= from)
            {
                await GrainFactory.GetGrain<IJobGrain>(job.JobId).NoteQueuePositionAsync(new QueueWait(at + 1, reason));
            }

            at++;
        }
    }

    /// <summary>Whether anyone watches the user, as the feed answered; null when the publish failed.</summary>
    private async Task<bool?> PublishAsync(string user)
    {
        try
        {
            return await GrainFactory.GetGrain<IUserFeedGrain>(user).PublishQuotaAsync(user, UsageOf(user));
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // Live figures only: the persisted state is what counts, and the next change publishes again.
            LogPublishFailed(user, Service, error.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "User {User}: preempted job {JobId} waits again for service '{Service}'; its slot went to {ForJob}")]
    private partial void LogRequeued(string user, string jobId, string service, string? forJob);

    [LoggerMessage(Level = LogLevel.Information, Message = "Service '{Service}' (no cap): limits changed at run time to {RunsPerUser} per user; handed to the quotas of {Users} users with jobs in flight")]
    private partial void LogUncappedLimitsChanged(string service, int runsPerUser, int users);

    [LoggerMessage(Level = LogLevel.Information, Message = "Service '{Service}': limits changed at run time to {RunsPerUser} per user, {Cap} in all; {Admitted} waiting jobs admitted")]
    private partial void LogLimitsChanged(string service, int runsPerUser, int cap, int admitted);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Service '{Service}': waking for users' freed budgets failed: {Error}")]
    private partial void LogBudgetWakeFailed(string service, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Service '{Service}': {Count} waiting jobs moved from the old state to their own rows")]
    private partial void LogQueueMoved(string service, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quota of {User} for '{Service}': live update not delivered: {Error}")]
    private partial void LogPublishFailed(string user, string service, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {User}: job {JobId} remains queued for service '{Service}' ({Running}/{Cap} running in the service)")]
    private partial void LogRemainsQueued(string user, string jobId, string service, int running, int cap);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {User} slot available, dispatching job {JobId} to service '{Service}'")]
    private partial void LogSlotAvailable(string user, string jobId, string service);
}
