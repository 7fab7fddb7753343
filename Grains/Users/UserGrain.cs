using System.Collections.Immutable;
using Corral.Jobs;
using Corral.Quotas;

namespace Corral.Users;

/// <inheritdoc cref="IUserGrain"/>
public sealed class UserGrain(
    [PersistentState("user", GrainStorage.Name)] IPersistentState<UserState> state,
    IJobIndex jobs,
    QuotaOptions options) : Grain, IUserGrain
{
    public async Task AddJobAsync(string jobId, string service)
    {
        // The services a user ran change rarely, so the grain's own state is written only then. The job itself is
        // listed by its row in the job index, which the job grain writes with its state.
        if (state.State.Services.Add(service.ToLowerInvariant()))
        {
            await state.WriteStateAsync();
        }
    }

    /// <remarks>
    /// The newest <see cref="MaxJobIds"/> only: its callers (the live feed's first snapshot) want the newest few, and
    /// a user may have hundreds of thousands. Full lists are paged from the job index by the gateway.
    /// </remarks>
    public Task<ImmutableArray<string>> GetJobIdsAsync() => jobs.ListIdsAsync(this.GetPrimaryKeyString(), MaxJobIds);

    public const int MaxJobIds = 1000;

    public async Task<ImmutableArray<QuotaUsage>> GetQuotasAsync()
    {
        var user = this.GetPrimaryKeyString();
        var services = state.State.Services.Union(options.ConfiguredServices).Order(StringComparer.Ordinal);
        var usages = await Task.WhenAll(services.Select(service =>
            GrainFactory.GetGrain<IQuotaGrain>(QuotaKey.For(user, service)).GetUsageAsync()));
        return [.. usages];
    }
}
