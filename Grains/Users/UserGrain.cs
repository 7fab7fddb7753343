using System.Collections.Immutable;
using Corral.Quotas;

namespace Corral.Users;

/// <inheritdoc cref="IUserGrain"/>
public sealed class UserGrain(
    [PersistentState("user", GrainStorage.Name)] IPersistentState<UserState> state,
    QuotaOptions options) : Grain, IUserGrain
{
    public async Task AddJobAsync(string jobId, string service)
    {
        if (state.State.Jobs.Contains(jobId))
        {
            return;
        }

        state.State.Jobs.Add(jobId);
        state.State.Services.Add(service.ToLowerInvariant());
        await state.WriteStateAsync();
    }

    public Task<ImmutableArray<string>> GetJobIdsAsync() =>
        Task.FromResult(state.State.Jobs.AsEnumerable().Reverse().ToImmutableArray());

    public async Task<ImmutableArray<QuotaUsage>> GetQuotasAsync()
    {
        var user = this.GetPrimaryKeyString();
        var services = state.State.Services.Union(options.ConfiguredServices).Order(StringComparer.Ordinal);
        var usages = await Task.WhenAll(services.Select(service =>
            GrainFactory.GetGrain<IQuotaGrain>(QuotaKey.For(user, service)).GetUsageAsync()));
        return [.. usages];
    }
}
