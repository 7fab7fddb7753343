using System.Collections.Immutable;
using Corral.Jobs;
using Corral.Resources;
using Microsoft.Extensions.Logging;

namespace Corral.Workers;

/// <inheritdoc cref="IDispatcherGrain"/>
/// <remarks>
/// Works from in-memory snapshots of the workers and lets each worker grain make the final, atomic
/// reservation. It never waits on a job grain (assignments are one-way), so no call cycle can form.
/// </remarks>
public sealed partial class DispatcherGrain(
    [PersistentState("dispatcher", GrainStorage.Name)] IPersistentState<DispatcherState> state,
    ILogger<DispatcherGrain> logger) : Grain, IDispatcherGrain
{
    private readonly Dictionary<string, WorkerView> _workers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _lastNote = new(StringComparer.Ordinal);
    private IGrainTimer? _pass;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var name in state.State.Workers)
        {
            if (await GrainFactory.GetGrain<IWorkerGrain>(name).GetAsync() is { } view)
            {
                _workers[name] = view;
            }
        }

        SchedulePass();
    }

    public async Task EnqueueAsync(PlacementRequest request)
    {
        if (!state.State.Pending.Exists(p => p.JobId == request.JobId))
        {
            state.State.Pending.Add(request);
            await state.WriteStateAsync();
        }

        SchedulePass();
    }

    public async Task RemoveAsync(string jobId)
    {
        if (state.State.Pending.RemoveAll(p => p.JobId == jobId) > 0)
        {
            _lastNote.Remove(jobId);
            await state.WriteStateAsync();
        }
    }

    public async Task WorkerChangedAsync(WorkerView worker)
    {
        _workers[worker.Name] = worker;
        if (state.State.Workers.Add(worker.Name))
        {
            await state.WriteStateAsync();
        }

        if (state.State.Pending.Count > 0)
        {
            SchedulePass();
        }
    }

    public Task<ImmutableArray<WorkerView>> GetWorkersAsync() =>
        Task.FromResult(_workers.Values.OrderBy(w => w.Name, StringComparer.Ordinal).ToImmutableArray());

    public Task<bool> IsImageAvailableAsync(string image)
    {
        var wanted = image.Contains(':', StringComparison.Ordinal) ? image : image + ":latest";
        return Task.FromResult(_workers.Values.Any(w => w.Alive && w.Images.Contains(wanted)));
    }

    private void SchedulePass()
    {
        // One pass at a time, run as a timer turn of its own so callers never wait for placement.
        _pass ??= this.RegisterGrainTimer(RunPassAsync, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    private async Task RunPassAsync(CancellationToken cancellationToken)
    {
        _pass?.Dispose();
        _pass = null;
        var placed = new List<string>();
        foreach (var request in FairOrder.Interleave(state.State.Pending))
        {
            if (await TryPlaceAsync(request))
            {
                placed.Add(request.JobId);
            }
        }

        if (placed.Count > 0)
        {
            state.State.Pending.RemoveAll(p => placed.Contains(p.JobId));
            await state.WriteStateAsync();
        }
    }

    private async Task<bool> TryPlaceAsync(PlacementRequest request)
    {
        var live = _workers.Values.Where(w => w.Alive).ToList();
        // Best fit: the worker with the least free CPU that still fits keeps big holes for big jobs.
        var candidates = live
            .Where(w => PlacementCheck.Check(w, request.Kind, request.Resources).Fits)
            .OrderBy(w => w.FreeCpu)
            .ThenBy(w => w.Name, StringComparer.Ordinal);
        foreach (var candidate in candidates)
        {
            var reservation = await GrainFactory.GetGrain<IWorkerGrain>(candidate.Name)
                .TryReserveAsync(request.JobId, request.Kind, request.Resources);
            _workers[candidate.Name] = reservation.Worker;
            if (reservation.Granted)
            {
                _lastNote.Remove(request.JobId);
                LogPlaced(request.JobId, candidate.Name);
                await GrainFactory.GetGrain<IJobGrain>(request.JobId).AssignAsync(candidate.Name, reservation.Limits!);
                return true;
            }
        }

        await NoteAsync(request, WhyNot(request, live));
        return false;
    }

    private static string WhyNot(PlacementRequest request, List<WorkerView> live)
    {
        if (live.Count == 0)
        {
            return "waiting for a worker: no worker is registered and alive";
        }

        // "Never" is judged against empty workers, so the message names the real ceiling, not today's load.
        var everFits = live.Any(w => PlacementCheck.CouldEverFit(w, request.Kind, request.Resources));
        var shortfalls = live.Select(w =>
            PlacementCheck.Check(everFits ? w : w.WithNothingAllocated(), request.Kind, request.Resources).Shortfall);
        return (everFits ? "waiting for room on a worker: " : "no registered worker can satisfy this request: ")
            + string.Join(" | ", shortfalls);
    }

    private async Task NoteAsync(PlacementRequest request, string message)
    {
        if (_lastNote.TryGetValue(request.JobId, out var last) && last == message)
        {
            return;
        }

        _lastNote[request.JobId] = message;
        LogWaiting(request.JobId, message);
        await GrainFactory.GetGrain<IJobGrain>(request.JobId).NotePendingAsync(message);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} placed on worker {Worker}")]
    private partial void LogPlaced(string jobId, string worker);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} stays pending: {Reason}")]
    private partial void LogWaiting(string jobId, string reason);
}
