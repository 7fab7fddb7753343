using System.Collections.Immutable;
using Corral.Hosting;
using Corral.Jobs;
using Corral.Resources;
using Orleans.Concurrency;
using Microsoft.Extensions.Logging;

namespace Corral.Workers;

/// <inheritdoc cref="IWorkerGrain"/>
/// <remarks>
/// Every job's placement and end pass through its worker's grain, so it is reentrant: reservations and releases that
/// arrive while a write is in flight share the next write (<see cref="CoalescedWrites"/>), and the dispatcher hears
/// of the freed room once for all of them (<see cref="TellDispatcher"/>). A call's change and its checks run without
/// an await between them, so each reservation still sees every earlier one.
/// </remarks>
[Reentrant]
public sealed partial class WorkerGrain(
    [PersistentState("worker", GrainStorage.Name)] IPersistentState<WorkerState> state,
    TimeProvider clock,
    WorkerLiveness liveness,
    ILogger<WorkerGrain> logger) : Grain, IWorkerGrain
{
    // Kept in memory only: a heartbeat every few seconds is not worth a database write. After this grain
    // is reactivated the worker gets one full grace period before it counts as lost.
    private DateTimeOffset _lastHeartbeat;
    private CoalescedWrites _writes = null!;

    // What the allocations add up to, summed again only after they change (a view is asked for on every call).
    private ReservedRoom? _room;

    // The dispatcher is being told of a change; another change meanwhile is told once that call returns.
    private Task? _telling;
    private bool _tellAgain;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _lastHeartbeat = clock.GetUtcNow();
        _writes = new CoalescedWrites(state.WriteStateAsync, DeactivateOnIdle);
        return Task.CompletedTask;
    }

    public async Task RegisterAsync(WorkerRegistration registration)
    {
        _lastHeartbeat = clock.GetUtcNow();
        var changed = state.State.Registration is not { } known
            || known.HostKey != registration.HostKey
            || !known.Capacity.IsSameAs(registration.Capacity)
            || known.SshCaps != registration.SshCaps
            || known.Address != registration.Address
            || known.SshGpuLimit != registration.SshGpuLimit
            || !known.Images.SequenceEqual(registration.Images);
        if (changed)
        {
            state.State.Registration = registration;
            await _writes.SaveAsync();
        }

        await Dispatcher.WorkerChangedAsync(View()!);
    }

    public async Task<ReservationBatch> TryReserveManyAsync(ImmutableArray<PlacementRequest> requests)
    {
        var view = View();
        if (view is null || !view.AcceptsJobs)
        {
            return new ReservationBatch(ImmutableDictionary<string, EffectiveLimits>.Empty, view ?? Empty());
        }

        var granted = ImmutableDictionary.CreateBuilder<string, EffectiveLimits>(StringComparer.Ordinal);
        var changed = false;
        foreach (var request in requests)
        {
            if (state.State.Allocations.TryGetValue(request.JobId, out var existing))
            {
                granted[request.JobId] = existing;
                continue;
            }

            var fit = PlacementCheck.Check(view, request.Kind, request.Resources, request.Image);
            if (fit.Limits is { } limits)
            {
                state.State.Allocations[request.JobId] = limits;
                granted[request.JobId] = limits;
                view = view.WithReservation(request.JobId, limits);
                changed = true;
            }
        }

        if (changed)
        {
            _room = null;
            await _writes.SaveAsync();
        }
        else
        {
            // A grant repeated from memory must be stored before the dispatcher acts on it.
            await _writes.StoredAsync();
        }

        return new ReservationBatch(granted.ToImmutable(), View()!);
    }

    public async Task ReleaseAsync(string jobId)
    {
        if (!state.State.Allocations.Remove(jobId))
        {
            // Released already; a write of that release may still be in flight.
            await _writes.StoredAsync();
            return;
        }

        _room = null;
        await _writes.SaveAsync();
        TellDispatcher();
    }

    /// <summary>
    /// Tells the dispatcher this worker's room changed, without making the caller wait for it: a job's release is
    /// done once stored, and the dispatcher only needs the latest view, so the changes made while one notice is in
    /// flight are told with one more. A notice that fails is logged; the next heartbeat tells it again.
    /// </summary>
    private void TellDispatcher()
    {
        if (_telling is { IsCompleted: false })
        {
            _tellAgain = true;
            return;
        }

        _telling = TellDispatcherAsync();
    }

    private async Task TellDispatcherAsync()
    {
        do
        {
            _tellAgain = false;
            if (View() is not { } view)
            {
                return;
            }

            try
            {
                await Dispatcher.WorkerChangedAsync(view);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                LogTellFailed(error.Message);
                return;
            }
        }
        while (_tellAgain);
    }

    public Task<WorkerView?> GetAsync() => Task.FromResult(View());

    public async Task<WorkerView?> SetDrainingAsync(bool draining)
    {
        if (View() is null)
        {
            return null;
        }

        if (state.State.Draining != draining)
        {
            state.State.Draining = draining;
            await _writes.SaveAsync();
            await Dispatcher.WorkerChangedAsync(View()!);
        }

        return View();
    }

    public Task<string?> GetLiveHostKeyAsync()
    {
        var view = View();
        return Task.FromResult(view is { Alive: true } ? state.State.Registration!.HostKey : null);
    }

    public async Task<bool> SnapshotFilesAsync(string jobId) =>
        await GetLiveHostKeyAsync() is { } host && await GrainFactory.GetGrain<IHostGrain>(host).SnapshotFilesAsync(jobId);

    private IDispatcherGrain Dispatcher => _dispatcher ??= GrainFactory.GetGrain<IDispatcherGrain>(0);

    private IDispatcherGrain? _dispatcher;

    private WorkerView? View()
    {
        if (state.State.Registration is not { } registration)
        {
            return null;
        }

        var room = _room ??= ReservedRoom.Of(state.State.Allocations);
        return new WorkerView(
            this.GetPrimaryKeyString(),
            registration.Capacity,
            registration.SshCaps,
            room.Cpu,
            room.MemoryBytes,
            room.GpuIds,
            room.Jobs,
            clock.GetUtcNow() - _lastHeartbeat < liveness.LostAfter,
            _lastHeartbeat,
            registration.Images,
            registration.Address,
            registration.SshGpuLimit,
            state.State.Draining,
            AllocatedPids: room.Pids);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telling the dispatcher of this worker's room failed; the next heartbeat tells it: {Error}")]
    private partial void LogTellFailed(string error);

    private WorkerView Empty() => new(
        this.GetPrimaryKeyString(), new WorkerCapacity(0, 0, []), SshCaps.Uncapped, 0, 0, [], [], false, null, [], string.Empty);
}
