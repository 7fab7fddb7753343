using System.Collections.Immutable;
using Corral.Hosting;
using Corral.Jobs;
using Corral.Resources;

namespace Corral.Workers;

/// <inheritdoc cref="IWorkerGrain"/>
public sealed class WorkerGrain(
    [PersistentState("worker", GrainStorage.Name)] IPersistentState<WorkerState> state,
    TimeProvider clock,
    WorkerLiveness liveness) : Grain, IWorkerGrain
{
    // Kept in memory only: a heartbeat every few seconds is not worth a database write. After this grain
    // is reactivated the worker gets one full grace period before it counts as lost.
    private DateTimeOffset _lastHeartbeat;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _lastHeartbeat = clock.GetUtcNow();
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
            await state.WriteStateAsync();
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
            await state.WriteStateAsync();
        }

        return new ReservationBatch(granted.ToImmutable(), View()!);
    }

    public async Task ReleaseAsync(string jobId)
    {
        if (!state.State.Allocations.Remove(jobId))
        {
            return;
        }

        await state.WriteStateAsync();
        if (View() is { } view)
        {
            await Dispatcher.WorkerChangedAsync(view);
        }
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
            await state.WriteStateAsync();
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

    private IDispatcherGrain Dispatcher => GrainFactory.GetGrain<IDispatcherGrain>(0);

    private WorkerView? View()
    {
        if (state.State.Registration is not { } registration)
        {
            return null;
        }

        var allocations = state.State.Allocations.Values;
        return new WorkerView(
            this.GetPrimaryKeyString(),
            registration.Capacity,
            registration.SshCaps,
            allocations.Sum(a => a.Cpu),
            allocations.Sum(a => a.MemoryBytes),
            // Allocations persisted before ReservedGpus existed hold what they see.
            [.. allocations.SelectMany(a => a.ReservedGpus.IsDefault ? a.Gpus : a.ReservedGpus).Distinct()],
            [.. state.State.Allocations.Keys.Order(StringComparer.Ordinal)],
            clock.GetUtcNow() - _lastHeartbeat < liveness.LostAfter,
            _lastHeartbeat,
            registration.Images,
            registration.Address,
            registration.SshGpuLimit,
            state.State.Draining,
            AllocatedPids: allocations.Sum(a => (long)a.Pids));
    }

    private WorkerView Empty() => new(
        this.GetPrimaryKeyString(), new WorkerCapacity(0, 0, []), SshCaps.Uncapped, 0, 0, [], [], false, null, [], string.Empty);
}
