using System.Collections.Immutable;
using Corral.Jobs;
using Corral.Resources;
using Microsoft.Extensions.Logging;

namespace Corral.Workers;

/// <inheritdoc cref="IDispatcherGrain"/>
/// <remarks>
/// Works from in-memory snapshots of the workers and lets each worker grain make the final, atomic
/// reservation. It never waits on a job grain (assignments are one-way), so no call cycle can form.
/// <para>
/// Throughput: the dispatcher is one grain, so nothing it does is paid per job in a round trip. A pass plans every
/// pending job against the snapshots (counting the room it already planned), then asks each chosen worker once
/// for its whole share, all workers at once. The pending set is written once per pass, not once per job: a job
/// admitted just before a crash and not yet written asks again from its own reconcile step.
/// </para>
/// </remarks>
public sealed partial class DispatcherGrain(
    [PersistentState("dispatcher", GrainStorage.Dispatcher)] IPersistentState<DispatcherState> state,
    TimeProvider clock,
    WorkerLiveness liveness,
    ILogger<DispatcherGrain> logger) : Grain, IDispatcherGrain
{
    private readonly Dictionary<string, WorkerView> _workers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _lastNote = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pendingIds = new(StringComparer.Ordinal);
    private IGrainTimer? _pass;

    // The pending set changed since it was last written.
    private bool _dirty;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _pendingIds.UnionWith(state.State.Pending.Select(p => p.JobId));
        foreach (var name in state.State.Workers)
        {
            if (await GrainFactory.GetGrain<IWorkerGrain>(name).GetAsync() is { } view)
            {
                _workers[name] = view;
            }
        }

        SchedulePass();
    }

    public Task EnqueueAsync(PlacementRequest request)
    {
        if (_pendingIds.Add(request.JobId))
        {
            // A retried job (its worker was lost) goes back to the head, ahead of its user's other pending jobs.
            if (request.Attempt > 1)
            {
                state.State.Pending.Insert(0, request);
            }
            else
            {
                state.State.Pending.Add(request);
            }

            _dirty = true;
        }

        SchedulePass();
        return Task.CompletedTask;
    }

    public async Task RemoveAsync(string jobId)
    {
        if (_pendingIds.Remove(jobId))
        {
            state.State.Pending.RemoveAll(p => p.JobId == jobId);
            _lastNote.Remove(jobId);
            await state.WriteStateAsync();
            _dirty = false;
        }
    }

    public async Task WorkerChangedAsync(WorkerView worker)
    {
        _workers[worker.Name] = worker;
        if (state.State.Workers.Add(worker.Name))
        {
            await state.WriteStateAsync();
            _dirty = false;
        }

        if (state.State.Pending.Count > 0)
        {
            SchedulePass();
        }
    }

    public Task<ImmutableArray<WorkerView>> GetWorkersAsync() =>
        Task.FromResult(_workers.Values.OrderBy(w => w.Name, StringComparer.Ordinal).ToImmutableArray());

    public Task<bool> IsImageAvailableAsync(string image) =>
        Task.FromResult(_workers.Values.Any(w => w.Alive && PlacementCheck.HasImage(w, image)));

    private void SchedulePass()
    {
        // One pass at a time, run as a timer turn of its own so callers never wait for placement.
        _pass ??= this.RegisterGrainTimer(RunPassAsync, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    private async Task RunPassAsync(CancellationToken cancellationToken)
    {
        _pass?.Dispose();
        _pass = null;
        var plan = await PlanAsync();
        var batches = await Task.WhenAll(plan.Select(share => ReserveAsync(share.Key, share.Value)));
        var placed = new HashSet<string>(StringComparer.Ordinal);
        var refused = false;
        foreach (var (worker, requests, batch) in batches)
        {
            if (batch is null)
            {
                continue;
            }

            _workers[worker] = batch.Worker;
            foreach (var request in requests)
            {
                if (!batch.Granted.TryGetValue(request.JobId, out var limits))
                {
                    // The snapshot was behind the worker: the job stays pending for the next pass.
                    refused = true;
                    continue;
                }

                placed.Add(request.JobId);
                _lastNote.Remove(request.JobId);
                LogPlaced(request.JobId, worker);
                await GrainFactory.GetGrain<IJobGrain>(request.JobId).AssignAsync(worker, limits);
            }
        }

        if (placed.Count > 0)
        {
            state.State.Pending.RemoveAll(p => placed.Contains(p.JobId));
            _pendingIds.ExceptWith(placed);
            _dirty = true;
        }

        if (_dirty)
        {
            await state.WriteStateAsync();
            _dirty = false;
        }

        if (refused)
        {
            SchedulePass();
        }
    }

    /// <summary>
    /// Picks a worker for every pending job, in fair order, against the snapshots plus what this pass already
    /// planned. Best fit: the worker with the least free CPU that still fits keeps big holes for big jobs.
    /// </summary>
    private async Task<Dictionary<string, List<PlacementRequest>>> PlanAsync()
    {
        var live = _workers.Values.Where(w => w.AcceptsJobs).ToList();
        var plan = new Dictionary<string, List<PlacementRequest>>(StringComparer.Ordinal);
        foreach (var request in FairOrder.Interleave(state.State.Pending))
        {
            var best = -1;
            EffectiveLimits? bestLimits = null;
            for (var i = 0; i < live.Count; i++)
            {
                if (PlacementCheck.Check(live[i], request.Kind, request.Resources, request.Image).Limits is not { } limits)
                {
                    continue;
                }

                if (best < 0 || live[i].FreeCpu < live[best].FreeCpu
                    || (live[i].FreeCpu == live[best].FreeCpu && string.CompareOrdinal(live[i].Name, live[best].Name) < 0))
                {
                    best = i;
                    bestLimits = limits;
                }
            }

            if (best < 0)
            {
                await NoteAsync(request, WhyNot(request, live, _workers.Values.Where(w => w.Alive && w.Draining).Select(w => w.Name)), NeverFits(request));
                continue;
            }

            var chosen = live[best];
            if (!plan.TryGetValue(chosen.Name, out var share))
            {
                plan[chosen.Name] = share = [];
            }

            share.Add(request);
            live[best] = chosen.WithReservation(request.JobId, bestLimits!);
        }

        return plan;
    }

    private async Task<(string Worker, List<PlacementRequest> Requests, ReservationBatch? Batch)> ReserveAsync(
        string worker, List<PlacementRequest> requests)
    {
        try
        {
            return (worker, requests, await GrainFactory.GetGrain<IWorkerGrain>(worker).TryReserveManyAsync([.. requests]));
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // The jobs stay pending; the next pass (a worker change, a job asking again) tries again.
            LogReserveFailed(worker, error.Message);
            return (worker, requests, null);
        }
    }

    private static string WhyNot(PlacementRequest request, List<WorkerView> live, IEnumerable<string> draining)
    {
        if (live.Count == 0)
        {
            var drained = string.Join(", ", draining.Order(StringComparer.Ordinal));
            return drained.Length > 0
                ? $"waiting for a worker: every live worker is draining ({drained})"
                : "waiting for a worker: no worker is registered and alive";
        }

        // "Never" is judged against empty workers, so the message names the real ceiling, not today's load.
        var everFits = live.Any(w => PlacementCheck.CouldEverFit(w, request.Kind, request.Resources, request.Image));
        var shortfalls = live.Select(w =>
            PlacementCheck.Check(everFits ? w : w.WithNothingAllocated(), request.Kind, request.Resources, request.Image).Shortfall);
        return (everFits ? "waiting for room on a worker: " : "no registered worker can satisfy this request: ")
            + string.Join(" | ", shortfalls);
    }

    /// <summary>
    /// No live worker could hold the job even empty (draining ones count: they come back); with no live worker at all
    /// nothing could. The job then runs its no-capacity clock. A snapshot says alive as of its last change, so a worker
    /// silent for longer than the liveness window counts as gone here, as its worker grain would say.
    /// </summary>
    private bool NeverFits(PlacementRequest request)
    {
        var now = clock.GetUtcNow();
        return !_workers.Values.Any(w =>
            w.Alive
            && (w.LastHeartbeat is not { } beat || now - beat < liveness.LostAfter)
            && PlacementCheck.CouldEverFit(w, request.Kind, request.Resources, request.Image));
    }

    private async Task NoteAsync(PlacementRequest request, string message, bool never)
    {
        var note = (never ? "never: " : "wait: ") + message;
        if (_lastNote.TryGetValue(request.JobId, out var last) && last == note)
        {
            return;
        }

        _lastNote[request.JobId] = note;
        LogWaiting(request.JobId, message);
        var job = GrainFactory.GetGrain<IJobGrain>(request.JobId);
        await (never ? job.NoteNoCapacityAsync(message) : job.NotePendingAsync(message));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} placed on worker {Worker}")]
    private partial void LogPlaced(string jobId, string worker);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} stays pending: {Reason}")]
    private partial void LogWaiting(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reserving on worker {Worker} failed; its jobs stay pending: {Error}")]
    private partial void LogReserveFailed(string worker, string error);
}
