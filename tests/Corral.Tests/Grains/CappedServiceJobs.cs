using System.Collections.Immutable;
using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// Jobs submitted straight to job grains for the capped-service tests: no worker is registered, so admitted jobs wait
/// pending, and cancelling them frees their slots.
/// </summary>
public sealed class CappedServiceJobs(IGrainFactory grains)
{
    public static string NewUser() => "u" + Guid.NewGuid().ToString("N")[..10];

    public async Task<List<string>> SubmitAsync(string user, string service, int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var id = Guid.NewGuid().ToString("N");
            await grains.GetGrain<IJobGrain>(id).SubmitAsync(user, Spec(service));
            ids.Add(id);
        }

        return ids;
    }

    /// <summary>One job of <paramref name="priority"/>.</summary>
    public async Task<string> SubmitAsync(string user, string service, JobPriority priority)
    {
        var id = Guid.NewGuid().ToString("N");
        await grains.GetGrain<IJobGrain>(id).SubmitAsync(user, Spec(service) with { Priority = priority });
        return id;
    }

    /// <summary>Every job ended cancelled, and its history shows one end.</summary>
    public async Task AssertCancelledOnceAsync(IEnumerable<string> ids)
    {
        foreach (var id in ids)
        {
            var view = await ViewAsync(id);
            Assert.Equal(JobStatus.Cancelled, view.Status);
            Assert.Single(view.History, h => JobStateMachine.IsTerminal(h.Status));
        }
    }

    /// <summary>The jobs holding a slot now, in the order they were admitted.</summary>
    public async Task<List<string>> PendingAsync(List<string> ids)
    {
        var views = await Task.WhenAll(ids.Select(ViewAsync));
        return [.. views.Where(v => v.Status == JobStatus.Pending)
            .OrderBy(v => v.History.Single(h => h.Status == JobStatus.Pending).At).Select(v => v.Id)];
    }

    public async Task CancelAllAsync(IEnumerable<string> ids)
    {
        foreach (var id in ids)
        {
            await grains.GetGrain<IJobGrain>(id).CancelAsync();
        }
    }

    public async Task<JobView> ViewAsync(string id) => (await grains.GetGrain<IJobGrain>(id).GetAsync())!;

    public static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(50);
        }
    }

    private static JobSpec Spec(string service) => new(
        service, "corral/busybox:latest", ["true"], JobKind.Batch, ImmutableDictionary<string, string>.Empty, ResourceRequest.None, null);
}
