using System.Collections.Immutable;
using Corral.Quotas;

namespace Corral.Users;

/// <inheritdoc cref="IUserGrain"/>
public sealed class UserGrain(
    [PersistentState("user", GrainStorage.Name)] IPersistentState<UserState> state,
    IUserJobIndex jobs,
    QuotaOptions options) : Grain, IUserGrain
{
    public async Task AddJobAsync(string jobId, string service)
    {
        // The services a user ran change rarely, so the grain's own state is written only then.
        if (state.State.Services.Add(service.ToLowerInvariant()))
        {
            await state.WriteStateAsync();
        }

        await jobs.AddAsync(this.GetPrimaryKeyString(), jobId);
    }

    public Task<ImmutableArray<string>> GetJobIdsAsync() => jobs.ListAsync(this.GetPrimaryKeyString());

    public async Task<ImmutableArray<QuotaUsage>> GetQuotasAsync()
    {
        var user = this.GetPrimaryKeyString();
        var services = state.State.Services.Union(options.ConfiguredServices).Order(StringComparer.Ordinal);
        var usages = await Task.WhenAll(services.Select(service =>
            GrainFactory.GetGrain<IQuotaGrain>(QuotaKey.For(user, service)).GetUsageAsync()));
        return [.. usages];
    }
}
