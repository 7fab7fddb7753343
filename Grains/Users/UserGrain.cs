using System.Collections.Immutable;
using System.Globalization;
using Corral.Jobs;
using Corral.Quotas;

namespace Corral.Users;

/// <inheritdoc cref="IUserGrain"/>
/// <remarks>
/// The user's limits are decided here: the grain handles one call at a time, so the count a submission is checked
/// against already includes every submission before it, however many arrive at once. The waiting jobs are counted
/// in memory (a write per submission would cost the hot path): this activation's own, plus what the user's quota
/// queues held when it activated.
/// </remarks>
public sealed class UserGrain(
    [PersistentState("user", GrainStorage.Name)] IPersistentState<UserState> state,
    IJobIndex jobs,
    QuotaOptions options) : Grain, IUserGrain
{
    /// <summary>Jobs recorded by this activation that have not yet said they left the queued status.</summary>
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);

    /// <summary>Jobs already waiting in the user's quota queues when this activation started.</summary>
    private int _queuedBefore;

    private string User => this.GetPrimaryKeyString();

    private UserLimits Limits => options.Users;

    private int Queued => _queued.Count + _queuedBefore;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var usages = await Task.WhenAll(state.State.Services.Select(service =>
            GrainFactory.GetGrain<IQuotaGrain>(QuotaKey.For(User, service)).GetUsageAsync()));
        _queuedBefore = usages.Sum(u => u.Queued);
    }

    public async Task AddJobAsync(string jobId, string service)
    {
        var name = service.ToLowerInvariant();
        var newService = !state.State.Services.Contains(name);
        if (newService && state.State.Services.Count >= Limits.MaxServices)
        {
            throw new UserLimitExceededException("service", UserLimits.MaxServicesVariable, Limits.MaxServices, Format(
                $"user '{User}' already uses {state.State.Services.Count} services, the most allowed ({UserLimits.MaxServicesVariable}={Limits.MaxServices}); submit to a service used before, or ask the operator to raise {UserLimits.MaxServicesVariable}"));
        }

        if (!_queued.Contains(jobId) && Queued >= Limits.MaxQueuedJobs)
        {
            throw new UserLimitExceededException("jobs", UserLimits.MaxQueuedJobsVariable, Limits.MaxQueuedJobs, Format(
                $"user '{User}' already has {Queued} jobs queued, the most allowed ({UserLimits.MaxQueuedJobsVariable}={Limits.MaxQueuedJobs}); wait for some to start or cancel some"));
        }

        _queued.Add(jobId);
        // The services a user ran change rarely, so the grain's own state is written only then. The job itself is
        // listed by its row in the job index, which the job grain writes with its state.
        if (newService)
        {
            state.State.Services.Add(name);
            try
            {
                await state.WriteStateAsync();
            }
            catch
            {
                // Not recorded: the job is refused, and neither it nor the service counts. The write may still have
                // committed unheard (a connection lost at the commit), leaving this activation's ETag stale: the next
                // call gets a fresh activation, which reads what is stored.
                state.State.Services.Remove(name);
                _queued.Remove(jobId);
                DeactivateOnIdle();
                throw;
            }
        }
    }

    public Task ReturnedToQueueAsync(string jobId)
    {
        // Accepted long ago: counted, never refused, whatever USER_MAX_QUEUED_JOBS says now.
        _queued.Add(jobId);
        return Task.CompletedTask;
    }

    public Task LeftQueueAsync(string jobId)
    {
        if (!_queued.Remove(jobId) && _queuedBefore > 0)
        {
            // One of the jobs that were waiting before this activation.
            _queuedBefore--;
        }

        return Task.CompletedTask;
    }

    /// <remarks>
    /// The newest <see cref="MaxJobIds"/> only: its callers (the live feed's first snapshot) want the newest few, and
    /// a user may have hundreds of thousands. Full lists are paged from the job index by the gateway.
    /// </remarks>
    public Task<ImmutableArray<string>> GetJobIdsAsync() => jobs.ListIdsAsync(User, MaxJobIds);

    public const int MaxJobIds = 1000;

    public async Task<ImmutableArray<QuotaUsage>> GetQuotasAsync()
    {
        var services = state.State.Services.Union(options.ConfiguredServices).Order(StringComparer.Ordinal);
        var usages = await Task.WhenAll(services.Select(service =>
            GrainFactory.GetGrain<IQuotaGrain>(QuotaKey.For(User, service)).GetUsageAsync()));
        return [.. usages];
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
